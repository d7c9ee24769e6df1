// What the console's channel parts say (channel badges, deliveries, the customer panel), in English and Chinese.
import { i18n } from "./texts.js";

const TEXT = {
  en: {
    channels: { web: "Web", telegram: "Telegram", wechat: "WeChat" },
    delivery: { pending: "Sending…", delivered: "Delivered", retrying: "Failed, retrying", failed: "Not delivered" },
    deliveredVia: (channel) => `Delivered on ${channel}`, retryingWhy: (why) => `Failed, retrying: ${why}`, failedWhy: (why) => `Not delivered: ${why}`,
    customerTitle: "Customer", customerId: "Customer id", identities: "Identities", noIdentities: "None yet",
    conversationsOn: (n, channels) => `${n} conversation${n === 1 ? "" : "s"}${channels ? ` · ${channels}` : ""}`,
    showHistory: "Show history on every channel", historyTitle: "History on every channel", close: "Close",
    historyEmpty: "Nothing yet.", historyOther: "earlier conversation", historyCurrent: "this conversation",
    linkLabel: "Same person as (identity, phone, e-mail or customer id)", linkPlaceholder: "telegram:123456, web:…, +8613800138000, a@b.cn, customer id",
    link: "Link", linked: "Linked: one customer, one history.", linkInvalid: "Enter kind:value (web, shop, telegram, wechat, phone, email), a phone number, an e-mail address or a customer id.",
    senders: { customer: "Customer", bot: "Bot", agent: "Agent", system: "System" },
  },
  zh: {
    channels: { web: "网页", telegram: "Telegram", wechat: "微信" },
    delivery: { pending: "发送中…", delivered: "已送达", retrying: "发送失败，重试中", failed: "未送达" },
    deliveredVia: (channel) => `已通过${channel}送达`, retryingWhy: (why) => `发送失败，重试中：${why}`, failedWhy: (why) => `未送达：${why}`,
    customerTitle: "顾客", customerId: "顾客编号", identities: "身份", noIdentities: "暂无",
    conversationsOn: (n, channels) => `${n} 个会话${channels ? ` · ${channels}` : ""}`,
    showHistory: "查看全部渠道的历史", historyTitle: "全部渠道的历史", close: "关闭",
    historyEmpty: "暂无记录。", historyOther: "以前的会话", historyCurrent: "本会话",
    linkLabel: "与此人为同一顾客（身份、手机号、邮箱或顾客编号）", linkPlaceholder: "telegram:123456、web:…、+8613800138000、a@b.cn、顾客编号",
    link: "关联", linked: "已关联：同一位顾客，同一份历史。", linkInvalid: "请输入 类型:值（web、shop、telegram、wechat、phone、email）、手机号、邮箱或顾客编号。",
    senders: { customer: "顾客", bot: "机器人", agent: "客服", system: "系统" },
  },
};

export function ct(key, ...args) {
  const v = (TEXT[i18n.lang] && TEXT[i18n.lang][key]) ?? TEXT.en[key];
  return typeof v === "function" ? v(...args) : v;
}

export function channelName(channel) {
  return (ct("channels") || {})[channel] || channel || "";
}
