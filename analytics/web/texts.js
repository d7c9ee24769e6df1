// Every word of the dashboard in English and Chinese; the page follows the browser's language and can be switched.
import { createI18n } from "/static/common/i18n.js";

const en = {
  title: "Supervisor dashboard", uiLanguage: "Interface language", signInIntro: "Sign in as a supervisor or admin to see how the service is doing.",
  username: "Username", password: "Password", signIn: "Sign in", signOut: "Sign out", wrongLogin: "Wrong username or password.",
  forbidden: "Only supervisors and admins can see the dashboard.", fromAfterTo: "The start date is after the end date.", period: "Period", today: "Today", days7: "Last 7 days", days30: "Last 30 days",
  custom: "Custom", from: "From", to: "To", channel: "Channel", language: "Language", category: "Category", agent: "Agent", tier: "Customer tier",
  all: "All", standard: "Standard", apply: "Apply", print: "Print", kpis: "Key figures", trend: "Conversations and complaints per day",
  complaintShares: "Complaints by category", heatmap: "When customers come (day of week × hour)", channels: "Conversations by channel",
  botMix: "The bot: answer / suggest / fallback", ratings: "Ratings (1-5)", reasons: "Why chats went to a person", live: "Live now",
  drill: "Conversations behind a figure", drillHint: "Click a figure, a bar or a slice to list its conversations.", agents: "Agents",
  sla: "SLA attainment per policy", breaches: "Breaches", lowComments: "Comments of low ratings", gaps: "Top unanswered questions", reports: "Briefings",
  reportHint: "Write one with ./cs report --period last-week --format pdf.", noData: "no data", none: "None.",
  periodLine: "{from} – {to} ({tz}); previous period {pfrom} – {pto}", prev: "previous {value}", target: "target {value}",
  conversations: "Conversations", tickets: "Tickets", messages: "Messages", containment: "Bot containment", frtP50: "First response (median)",
  frtWithin: "First response within {min} min", waitP50: "Queue wait (median)", waitP90: "Queue wait p90", handle: "Handle time (mean)",
  resolution: "Resolution time (mean)", fcr: "First-contact resolution", reopen: "Reopen rate", transfers: "Transfers", csat: "CSAT (4-5)",
  responseRate: "Rating response rate", complaints: "Complaints", within24: "Complaints handled within {h} h", slaAttainment: "SLA attainment",
  helpful: "Helpful votes", withBot: "With the bot", inQueue: "In the queue", longestWait: "Longest wait", agentsOnline: "Agents online",
  load: "Load", presence: "Presence", chats: "Chats", resolved: "Resolved", frt: "First response", csatShort: "CSAT", fcrShort: "FCR",
  breachCount: "Breaches", policy: "Policy", met: "Met", breached: "Breached", attainment: "Attainment", clock: "Clock", ticket: "Ticket",
  started: "Started", status: "Status", rating: "Rating", reason: "Reason", id: "Conversation", listOf: "{figure}: {n} conversation(s)",
  range: "{first}–{last} of {n}", previousPage: "Previous", nextPage: "Next", openTranscript: "Open the transcript in the console",
  simulated: "Simulated data (./cs demo) — remove it with ./cs demo --wipe", times: "×",
  cat_product_quality: "Product quality", cat_service_attitude: "Service attitude", cat_logistics: "Logistics", cat_after_sales: "After-sales",
  cat_billing: "Billing", cat_other: "Other", dec_answer: "Answered", dec_suggest: "Suggested", dec_fallback: "Fell back", dec_handoff: "To a person",
  dec_other: "Other", dec_unavailable: "Unavailable", rsn_customer_request: "Asked for a person", rsn_low_confidence: "Bot could not answer",
  rsn_complaint: "Complaint", rsn_negative_feedback: "Negative feedback", rsn_vip: "VIP", rsn_bot_unavailable: "Bot unavailable",
  days: ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"],
};

const zh = {
  title: "主管看板", uiLanguage: "界面语言", signInIntro: "请以主管或管理员身份登录，查看服务表现。", username: "用户名", password: "密码",
  signIn: "登录", signOut: "退出", wrongLogin: "用户名或密码错误。", forbidden: "只有主管和管理员可以查看看板。", fromAfterTo: "开始日期晚于结束日期。", period: "统计周期", today: "今天",
  days7: "近 7 天", days30: "近 30 天", custom: "自定义", from: "开始", to: "结束", channel: "渠道", language: "语言", category: "类型", agent: "客服",
  tier: "客户等级", all: "全部", standard: "普通", apply: "应用", print: "打印", kpis: "核心指标", trend: "每日会话量与投诉量", complaintShares: "投诉类型占比",
  heatmap: "来访时段（星期 × 小时）", channels: "各渠道会话量", botMix: "机器人：回答 / 推荐 / 无法回答", ratings: "评分分布（1-5）",
  reasons: "转人工原因", live: "实时", drill: "指标明细会话", drillHint: "点击指标、柱子或扇区，查看对应的会话。", agents: "客服人员",
  sla: "各 SLA 策略达成率", breaches: "超时记录", lowComments: "低分评价留言", gaps: "机器人未能回答的热门问题", reports: "客服简报",
  reportHint: "用 ./cs report --period last-week --format pdf 生成。", noData: "无数据", none: "无。",
  periodLine: "{from} – {to}（{tz}）；上期 {pfrom} – {pto}", prev: "上期 {value}", target: "目标 {value}", conversations: "会话量", tickets: "工单",
  messages: "消息数", containment: "机器人独立解决率", frtP50: "首次响应（中位数）", frtWithin: "{min} 分钟内首次响应", waitP50: "排队等待（中位数）",
  waitP90: "排队等待 p90", handle: "处理时长（平均）", resolution: "解决时长（平均）", fcr: "首次解决率", reopen: "重开率", transfers: "转接次数",
  csat: "客户满意度（4-5 分）", responseRate: "评价率", complaints: "投诉量", within24: "投诉 {h} 小时处理率", slaAttainment: "SLA 达成率",
  helpful: "有用投票", withBot: "与机器人对话中", inQueue: "排队中", longestWait: "最长等待", agentsOnline: "在线客服", load: "负载",
  presence: "状态", chats: "会话", resolved: "已解决", frt: "首次响应", csatShort: "满意度", fcrShort: "首解率", breachCount: "超时", policy: "策略",
  met: "按时", breached: "超时", attainment: "达成率", clock: "时钟", ticket: "工单", started: "开始时间", status: "状态", rating: "评分", reason: "原因",
  id: "会话", listOf: "{figure}：{n} 个会话", range: "第 {first}–{last} 个，共 {n} 个", previousPage: "上一页", nextPage: "下一页",
  openTranscript: "在客服工作台中查看会话记录", simulated: "模拟数据（./cs demo）——可用 ./cs demo --wipe 清除", times: "次",
  cat_product_quality: "产品质量", cat_service_attitude: "服务态度", cat_logistics: "物流配送", cat_after_sales: "售后服务", cat_billing: "账单支付",
  cat_other: "其他", dec_answer: "直接回答", dec_suggest: "推荐选项", dec_fallback: "无法回答", dec_handoff: "转人工", dec_other: "其他", dec_unavailable: "不可用",
  rsn_customer_request: "客户要求人工", rsn_low_confidence: "机器人无法回答", rsn_complaint: "投诉", rsn_negative_feedback: "负面反馈", rsn_vip: "VIP 客户",
  rsn_bot_unavailable: "机器人不可用", days: ["周一", "周二", "周三", "周四", "周五", "周六", "周日"],
};

export const i18n = createI18n({ en, zh }, "cs_dashboard_lang");
export const t = i18n.t;
