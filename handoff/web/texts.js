// Everything the agent console says, in English and Chinese; it follows the browser and can be switched.
import { createI18n } from "/static/common/i18n.js";

const TEXT = {
  en: {
    title: "Agent console", uiLanguage: "Interface language", signInIntro: "Sign in to help customers waiting for a person.",
    username: "Username", password: "Password", signIn: "Sign in", signOut: "Sign out", wrongLogin: "Wrong username or password.",
    signInAgain: "Please sign in again.", presence: "Presence", online: "Online", away: "Away", offline: "Offline",
    conversations: "Conversations", waiting: "Waiting", mine: "My chats", recent: "Recent",
    queueEmpty: "No one is waiting. Nice work.", mineEmpty: "Claim a chat from the queue to start.",
    recentSearch: "Search past chats", recentSearchPlaceholder: "Customer, words, id…", recentDate: "Day", search: "Search",
    recentEmpty: "No past chats yet.", recentNone: "No past chats match.", clear: "Clear",
    placeholder: "Select a conversation from the queue or your chats.", back: "Back to the list",
    claim: "Claim", transferTo: "Transfer to", transfer: "Transfer", handBack: "Hand back to bot", resolve: "Resolve",
    replyLabel: "Reply to customer", replyPlaceholder: "Write a reply… (Enter to send, Shift+Enter for a new line)", send: "Send",
    details: "Handoff details", reason: "Reason", category: "Category", language: "Language", tier: "Tier",
    tried: "What the bot tried", triedNone: "The bot found no matching answers.", votedDown: "Voted not helpful",
    votedDownLine: (q, a) => `“${q}” → ${a}`,
    suggestTitle: "Suggested answers", suggestList: "Knowledge base answers for the customer's latest question",
    suggestLoading: "Looking for answers…", suggestNone: "No knowledge-base answers match the latest question.",
    suggestFailed: "Couldn't load suggestions.", insert: "Insert", insertLabel: (q) => `Insert answer: ${q}`, matchScore: "Match score",
    claimChat: (who) => `Claim chat with ${who}`, unread: (n) => `${n} unread`,
    since: (time) => `since ${time}`, priority: (n) => `Priority ${n}`, vip: "VIP", bot: "Bot", agent: "Agent",
    customer: "Customer", visitor: "Visitor", theCustomer: "The customer", isTyping: (who) => `${who} is typing…`,
    reconnecting: "Reconnecting…", waitingTitle: (n) => `(${n}) waiting · Agent console`, with: (who) => `with ${who}`,
    rated: (n) => `Rated ${n}/5`, transcript: "Transcript", requestFailed: (s) => `Request failed (${s})`,
    reasons: { customer_request: "Asked for a person", low_confidence: "Bot wasn't sure", complaint: "Complaint",
      negative_feedback: "Unhelpful answer", vip: "VIP customer", bot_unavailable: "Bot unavailable" },
    categories: { product_quality: "Product quality", service_attitude: "Service attitude", logistics: "Logistics",
      after_sales: "After-sales", billing: "Billing", other: "Other" },
    statuses: { bot: "With bot", queued: "Waiting", assigned: "Assigned", resolved: "Resolved" },
    tiers: { standard: "Standard", vip: "VIP" },
  },
  zh: {
    title: "客服工作台", uiLanguage: "界面语言", signInIntro: "登录后接待正在等待人工的顾客。",
    username: "用户名", password: "密码", signIn: "登录", signOut: "退出", wrongLogin: "用户名或密码错误。",
    signInAgain: "请重新登录。", presence: "在线状态", online: "在线", away: "离开", offline: "离线",
    conversations: "会话", waiting: "排队中", mine: "我的会话", recent: "最近会话",
    queueEmpty: "没有顾客在排队，辛苦了。", mineEmpty: "从排队列表中接入一个会话开始工作。",
    recentSearch: "搜索历史会话", recentSearchPlaceholder: "顾客、关键词、编号…", recentDate: "日期", search: "搜索",
    recentEmpty: "还没有历史会话。", recentNone: "没有匹配的历史会话。", clear: "清除",
    placeholder: "从排队列表或我的会话中选择一个会话。", back: "返回列表",
    claim: "接入", transferTo: "转给", transfer: "转接", handBack: "交还机器人", resolve: "结束会话",
    replyLabel: "回复顾客", replyPlaceholder: "输入回复…（Enter 发送，Shift+Enter 换行）", send: "发送",
    details: "转人工详情", reason: "原因", category: "分类", language: "语言", tier: "等级",
    tried: "机器人尝试过的答案", triedNone: "机器人没有找到匹配的答案。", votedDown: "顾客评为“没帮助”",
    votedDownLine: (q, a) => `“${q}” → ${a}`,
    suggestTitle: "推荐答案", suggestList: "针对顾客最新问题的知识库答案",
    suggestLoading: "正在查找答案…", suggestNone: "知识库中没有与最新问题匹配的答案。",
    suggestFailed: "无法加载推荐答案。", insert: "插入", insertLabel: (q) => `插入答案：${q}`, matchScore: "匹配度",
    claimChat: (who) => `接入 ${who} 的会话`, unread: (n) => `${n} 条未读`,
    since: (time) => `${time} 起`, priority: (n) => `优先级 ${n}`, vip: "VIP", bot: "机器人", agent: "客服",
    customer: "顾客", visitor: "访客", theCustomer: "顾客", isTyping: (who) => `${who} 正在输入…`,
    reconnecting: "正在重连…", waitingTitle: (n) => `(${n}) 位等待 · 客服工作台`, with: (who) => `由 ${who} 接待`,
    rated: (n) => `评分 ${n}/5`, transcript: "对话记录", requestFailed: (s) => `请求失败（${s}）`,
    reasons: { customer_request: "顾客要求人工", low_confidence: "机器人不确定", complaint: "投诉",
      negative_feedback: "回答没帮助", vip: "VIP 顾客", bot_unavailable: "机器人故障" },
    categories: { product_quality: "产品质量", service_attitude: "服务态度", logistics: "物流",
      after_sales: "售后", billing: "账单支付", other: "其他" },
    statuses: { bot: "机器人接待中", queued: "排队中", assigned: "人工接待中", resolved: "已结束" },
    tiers: { standard: "普通", vip: "VIP" },
  },
};

export const i18n = createI18n(TEXT, "cs_console_lang");
export const t = i18n.t;
export const LANGS = { en: "English", zh: "中文" };
// A name from a fixed vocabulary, translated (the raw value if it is not one of them).
export function named(table, value) { return (t(table) || {})[value] || value || ""; }
