"""Every word the briefing prints, in Chinese and English (the dashboard has its own table in analytics/web/)."""

from __future__ import annotations

CATEGORY = {
    "product_quality": ("产品质量", "Product quality"),
    "service_attitude": ("服务态度", "Service attitude"),
    "logistics": ("物流配送", "Logistics"),
    "after_sales": ("售后服务", "After-sales"),
    "billing": ("账单支付", "Billing and payment"),
    "other": ("其他", "Other"),
}

REASON = {
    "customer_request": ("客户要求人工", "Asked for a person"),
    "low_confidence": ("机器人无法回答", "Bot could not answer"),
    "complaint": ("投诉", "Complaint"),
    "negative_feedback": ("负面反馈", "Negative feedback"),
    "vip": ("VIP 客户", "VIP customer"),
    "bot_unavailable": ("机器人不可用", "Bot unavailable"),
    "long_message": ("消息过长", "Message too long for the bot"),
}

# The built-in SLA policies (core/settings.py); a shop's own policy names print as they are.
POLICY = {"vip": ("VIP", "VIP"), "complaint": ("投诉", "Complaint"), "standard": ("标准", "Standard")}

DECISION = {
    "answer": ("直接回答", "Answered"), "suggest": ("推荐选项", "Suggested"), "fallback": ("无法回答", "Fell back"),
    "handoff": ("转人工", "Handed to a person"), "other": ("其他", "Other"), "unavailable": ("不可用", "Unavailable"),
}

WORDS = {
    "title": ("客服简报", "Customer Service Briefing"),
    "period": ("统计周期", "Period"),
    "previous": ("上期", "Previous period"),
    "generated": ("生成时间", "Generated"),
    "simulated": ("注意：本报告包含模拟数据（./cs demo）", "Note: this report includes simulated data (./cs demo)"),
    "kpis": ("核心指标", "Key indicators"),
    "indicator": ("指标", "Indicator"), "target": ("目标", "Target"), "actual": ("本期", "This period"),
    "change": ("变化", "Change"), "measured": ("计算口径", "How it is measured"), "status": ("达标", "On target"),
    "yes": ("达标", "met"), "no": ("未达标", "missed"), "no_data": ("无数据", "no data"),
    "fcr": ("首次解决率", "First-contact resolution"),
    "fcr_how": ("人工解决且未重开、未转接的会话 / 人工解决的会话", "Solved by a person without a reopen or a transfer / solved by a person"),
    "csat": ("客户满意度", "Customer satisfaction (CSAT)"),
    "csat_how": ("4-5 分评价 / 全部评价", "Ratings of 4-5 / all ratings"),
    "frt": ("首次响应达标率", "First response within target"),
    "frt_how": ("转人工后 {minutes} 分钟内首次回复的占比", "Share answered by a person within {minutes} min of the escalation"),
    "frt_p50": ("首次响应时间中位数", "First response time, median"),
    "complaint24": ("投诉 {hours} 小时处理率", "Complaints handled within {hours} h"),
    "complaint24_how": ("{hours} 小时内解决的投诉 / 已有结果的投诉", "Complaints solved within {hours} h / complaints with an outcome"),
    "containment": ("机器人独立解决率", "Bot containment"),
    "containment_how": ("未转人工的会话 / 与机器人对话的会话", "Conversations never queued for a person / conversations with the bot"),
    "sla": ("SLA 达成率", "SLA attainment"),
    "sla_how": ("按时完成的时钟 / 已结束的时钟", "Clocks met / clocks stopped"),
    "conversations": ("会话量", "Conversations"),
    "complaints": ("投诉统计", "Complaint statistics"),
    "category": ("类型", "Type"), "count": ("数量", "Count"), "share": ("占比", "Share"), "total": ("合计", "Total"),
    "hot": ("热点问题", "Hot issues"),
    "growing": ("增长最快的投诉类型", "Fastest-growing complaint types"),
    "unanswered": ("机器人未能回答的热门问题", "Top questions the bot could not answer"),
    "times": ("次", "times"),
    "fcr_analysis": ("首次解决率分析", "First-contact resolution analysis"),
    "resolved": ("人工解决", "Solved by a person"), "reopened": ("重开", "Reopened"), "transferred": ("转接", "Transferred"),
    "satisfaction": ("满意度调查结果", "Satisfaction survey results"),
    "ratings": ("评价数", "Ratings"), "response_rate": ("评价率", "Response rate"), "distribution": ("评分分布", "Distribution"),
    "negative": ("负面反馈主题", "Themes of negative feedback"), "comments": ("低分评价留言", "Comments of low ratings"),
    "theme": ("主题", "Theme"), "theme_total": ("低分留言共 {n} 条", "{n} comments of low ratings"),
    "other_themes": ("其他主题（{n} 个）", "other themes ({n})"), "unthemed": ("无可归类词语", "no word to group by"),
    "response": ("响应时效", "Response times"),
    "queue_wait": ("排队等待", "Queue wait"), "handle": ("处理时长（平均）", "Handle time (mean)"),
    "resolution": ("解决时长（平均）", "Resolution time (mean)"),
    "policy": ("策略", "Policy"), "met": ("按时", "Met"), "breached": ("超时", "Breached"), "attainment": ("达成率", "Attainment"),
    "bot": ("机器人表现", "Bot performance"), "decisions": ("回答方式", "Decisions"), "votes": ("有用 / 无用", "Helpful / not helpful"),
    "reasons": ("转人工原因", "Escalation reasons"),
    "agents": ("客服人员", "Agents"), "agent": ("客服", "Agent"), "chats": ("会话", "Chats"), "breaches": ("超时", "Breaches"),
    "actions": ("改进建议", "Suggested actions"),
    "none": ("本期无", "none this period"),
    "empty": ("本期没有数据。", "No data for this period."),
}

ACTIONS = {
    "fcr": ("首次解决率 {actual} 低于目标 {target}：复盘 {reopened} 个重开和 {transferred} 个转接的会话，补充知识库与话术，减少转接。",
            "First-contact resolution {actual} is below its {target} target: review the {reopened} reopened and {transferred} transferred chats, and give agents what they lacked."),
    "csat": ("满意度 {actual} 低于目标 {target}：逐条回访低分客户，重点关注“{theme}”。",
             "CSAT {actual} is below its {target} target: call back the low raters; the main theme is \u201c{theme}\u201d."),
    "frt": ("仅 {actual} 的会话在 {minutes} 分钟内得到首次回复：在高峰时段（{peak}）增加在线客服。",
            "Only {actual} of chats got a first reply within {minutes} min: add agents at the busiest hour ({peak})."),
    "complaint24": ("投诉 {hours} 小时处理率 {actual}：每日检查未结投诉，由主管跟进超时工单。",
                    "{actual} of complaints were handled within {hours} h: review open complaints daily; supervisors take over late ones."),
    "growing": ("“{category}”类投诉从 {before} 件增至 {after} 件：分析根因并与相关部门制定预防措施。",
                "Complaints about {category} grew from {before} to {after}: find the root cause with the team concerned and agree on prevention."),
    "gaps": ("为机器人未能回答的热门问题编写知识库条目：{questions}。", "Write knowledge-base entries for the top unanswered questions: {questions}."),
    "agent_breaches": ("{agent} 本期有 {n} 次 SLA 超时：检查其负载与排班。", "{agent} had {n} SLA breaches: check their load and schedule."),
    "agent_csat": ("{agent} 的满意度为 {actual}：安排辅导。", "{agent}'s CSAT is {actual}: arrange coaching."),
    "keep": ("各项指标均已达标：保持当前做法，继续监控。", "Every indicator is on target: keep the current practice and keep watching."),
}


def t(table: dict, key: str, lang: str, **values: object) -> str:
    pair = table.get(key)
    if pair is None:
        return key
    text = pair[0] if lang == "zh" else pair[1]
    return text.format(**values) if values else text
