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
    planTitle: "Service plan", planVip: "VIP customer", planDedicated: "Dedicated agent", planNone: "None", planSave: "Save plan",
    planSaved: "Saved: their next chats are routed by it.", planNeedsVip: "A dedicated agent is for VIP customers: tick VIP customer, or choose None.",
    photoAlt: "Photo the customer sent", sentPhotoAlt: "Picture sent to the customer", openFull: "Open full size", viewFull: (what) => `${what}: view full size`, closePicture: "Close the picture", download: (name) => `Download ${name}`,
    kinds: { attachment: "attachment", photo: "photo", image: "photo", voice: "voice message", audio: "audio", video: "video",
      video_note: "video message", animation: "animation", document: "file", file: "file", sticker: "sticker" },
    attachmentFailed: "The attachment could not be opened.",
    refused: {
      attachment_gone: "The channel no longer keeps this attachment (WeChat keeps media three days). Ask the customer to send it again.",
      attachment_too_large: "This attachment is too large to open here. Ask the customer for a smaller one.",
      channel_unreachable: "The channel did not hand the attachment over. Try again in a moment.",
      channel_refused: "The channel refused to hand the attachment over (check the channel's settings).",
      not_an_attachment: "Nothing to open on this line.",
      upload_gone: "This file is no longer kept.",
    },
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
    planTitle: "服务方案", planVip: "VIP 顾客", planDedicated: "专属客服", planNone: "无", planSave: "保存方案",
    planSaved: "已保存：此后的会话按此分配。", planNeedsVip: "专属客服只适用于 VIP 顾客：请勾选 VIP 顾客，或选择“无”。",
    photoAlt: "顾客发来的图片", sentPhotoAlt: "发给顾客的图片", openFull: "查看原图", viewFull: (what) => `${what}：查看大图`, closePicture: "关闭图片", download: (name) => `下载${name}`,
    kinds: { attachment: "附件", photo: "图片", image: "图片", voice: "语音", audio: "音频", video: "视频",
      video_note: "视频消息", animation: "动图", document: "文件", file: "文件", sticker: "表情" },
    attachmentFailed: "无法打开这个附件。",
    refused: {
      attachment_gone: "渠道已不再保存这个附件（微信的素材只保存三天），请让顾客重新发送。",
      attachment_too_large: "附件太大，无法在这里打开，请让顾客发送小一些的文件。",
      channel_unreachable: "渠道暂时没有返回这个附件，请稍后再试。",
      channel_refused: "渠道拒绝提供这个附件（请检查渠道设置）。",
      not_an_attachment: "这一行没有可打开的附件。",
      upload_gone: "这个文件已不再保存。",
    },
  },
};

export function ct(key, ...args) {
  const v = (TEXT[i18n.lang] && TEXT[i18n.lang][key]) ?? TEXT.en[key];
  return typeof v === "function" ? v(...args) : v;
}

export function channelName(channel) {
  return (ct("channels") || {})[channel] || channel || "";
}
