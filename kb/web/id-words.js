// Ids for drafts made from Chinese questions. Entry ids are ASCII (letters, digits, - _ . :) and the editor suggested
// one by keeping a question's ASCII words: a Chinese question kept none and got "other-3fa2b1c9-zh", which says nothing
// in the entry list. No pinyin library runs offline in the page (and pinyin of a whole question is long and ambiguous),
// so the id is made of the English words for the customer-service terms the question uses, in the order it uses them:
// "发票能开公司抬头吗？运费呢" -> "invoice-company-title-shipping-fee". ASCII in the question (a model, a code) counts too.
// A question with none of these terms gets "gap-" and a short hash of its group, still unique and marked as from gaps.

// Longer terms first where one contains another (优惠券 before 优惠): matching takes the longest term at each place.
export const ZH_TERMS = {
  运费: "shipping-fee", 邮费: "shipping-fee", 包邮: "free-shipping", 发货: "dispatch", 物流: "logistics", 快递: "courier",
  配送: "delivery", 送货: "delivery", 到货: "arrival", 签收: "signing", 顺丰: "sf-express", 加急: "express", 延迟: "delay",
  丢件: "lost-parcel", 丢失: "lost", 破损: "damaged", 发错: "wrong-item", 少件: "missing-item", 漏发: "missing-item",
  退货: "return", 换货: "exchange", 退换: "returns", 退款: "refund", 退钱: "refund", 售后: "after-sales", 保修: "warranty",
  维修: "repair", 安装: "installation", 说明书: "manual", 质量: "quality", 投诉: "complaint",
  发票: "invoice", 抬头: "title", 公司: "company", 个人: "personal", 税号: "tax-number", 专票: "special-invoice",
  优惠券: "coupon", 优惠码: "promo-code", 优惠: "discount", 折扣: "discount", 满减: "discount", 积分: "points", 会员: "membership",
  价格: "price", 降价: "price-drop", 保价: "price-protection", 差价: "price-difference",
  订单: "order", 下单: "ordering", 取消: "cancel", 修改: "change", 地址: "address", 收货人: "recipient", 电话: "phone",
  支付: "payment", 付款: "payment", 支付宝: "alipay", 微信: "wechat", 信用卡: "credit-card", 银行卡: "bank-card",
  花呗: "huabei", 分期: "instalments", 货到付款: "cash-on-delivery", 余额: "balance",
  账号: "account", 账户: "account", 密码: "password", 登录: "login", 注册: "sign-up", 注销: "close-account", 手机号: "phone-number",
  验证码: "verification-code", 绑定: "binding", 实名: "identity-check", 隐私: "privacy",
  尺码: "size", 尺寸: "size", 颜色: "colour", 库存: "stock", 缺货: "out-of-stock", 补货: "restock", 预售: "pre-order",
  现货: "in-stock", 正品: "genuine", 材质: "material", 电池: "battery", 充电: "charging", 赠品: "free-gift",
  礼品: "gift", 礼物: "gift", 包装: "packaging", 礼盒: "gift-box", 贺卡: "greeting-card",
  周末: "weekend", 节假日: "holiday", 营业时间: "opening-hours", 上班时间: "opening-hours", 门店: "store", 自提: "pickup",
  国际: "international", 海外: "overseas", 关税: "customs-duty", 清关: "customs-clearance", 租: "rent", 租赁: "rental",
  客服: "support", 人工: "agent",
};

const LONGEST = Math.max(...Object.keys(ZH_TERMS).map((k) => k.length));

// The id's words for a Chinese question: its terms in English and its own ASCII words, each once, in order.
export function zhIdWords(text) {
  const s = String(text || "").normalize("NFKC");
  const words = [];
  const add = (w) => { if (!words.includes(w)) words.push(w); };
  for (let i = 0; i < s.length;) {
    const ascii = /^[A-Za-z0-9]+/.exec(s.slice(i));
    if (ascii) { add(ascii[0].toLowerCase()); i += ascii[0].length; continue; }
    let hit = null;
    for (let n = Math.min(LONGEST, s.length - i); n > 0 && !hit; n--) hit = ZH_TERMS[s.slice(i, i + n)] ? s.slice(i, i + n) : null;
    if (hit) { add(ZH_TERMS[hit]); i += hit.length; } else i += 1;
  }
  return words;
}
