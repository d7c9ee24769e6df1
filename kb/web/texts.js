// Everything the knowledge-base editor says, in English and Chinese; it follows the browser and can be switched.
import { createI18n } from "/static/common/i18n.js";

export function fmt(n) {
  const x = Number(n);
  return Number.isFinite(x) ? x.toFixed(2) : "–";
}

// Where the thresholds come from and the answer precision they are expected to give (kb/calibration.py).
function gateOrigin(g, lang) {
  const src = g.source || {};
  const zh = lang === "zh";
  if (src.override) return zh ? ` · 手动设置（${src.override}）` : ` · set by hand (${src.override})`;
  if (g.expected_precision == null) return "";
  const pct = `${Math.round(g.expected_precision * 100)}%`;
  const n = src.held_out_wordings || 0;
  return zh ? ` · 发布时自动校准（${n} 条留出说法），预计回答准确率 ${pct}` : ` · calibrated at publish on ${n} held-out wordings, expected answer precision ${pct}`;
}

const TEXT = {
  en: {
    title: "Knowledge base", uiLanguage: "Interface language", username: "Username", password: "Password", signIn: "Sign in",
    signOut: "Sign out", loginIntro: "Sign in with your console account to edit the bot's answers.",
    wrongLogin: "Wrong username or password.", signInAgain: "Please sign in again.",
    roleEditor: "Editor", roleAdmin: "Admin", roleAgent: "Read-only",
    sections: "Sections", tabList: "Entries", tabEntry: "Entry", tabTry: "Try it", tabVersions: "Versions", tabGaps: "Content gaps", tabIo: "Import / Export",
    entries: "Entries", newEntry: "New entry", search: "Search", searchPlaceholder: "Search question, answer, id…",
    language: "Language", category: "Category", status: "Status", allLanguages: "All languages", allCategories: "All categories", allStatuses: "Any status",
    draft: "Draft", published: "Published", noEntries: "No entries match.",
    listSummary: (shown, drafts, total) => `${shown} shown · ${drafts} draft${drafts === 1 ? "" : "s"} · ${total} in total`,
    pickEntry: "Select an entry from the list, or create a new one.",
    readonlyNote: "You can read the knowledge base; only editors and admins can change it.",
    entryId: "Entry id", idHint: "Letters, digits and - _ . : only, e.g. shipping-express-cost-en",
    question: "Question", phrasings: "Other phrasings (one per line)", answer: "Answer (Markdown)",
    mdHint: "**bold**, *italic*, lists with \"- \" or \"1. \", [links](https://…)", preview: "Preview", previewEmpty: "The answer preview appears here.",
    tags: "Tags (comma separated)", saveDraft: "Save draft", cancel: "Cancel", delete: "Delete",
    newEntryTitle: "New entry", revisionBy: (rev, who, when) => `Revision ${rev} · ${who} · ${when}`,
    statusDraft: "Draft", statusPublished: "Published",
    savedDraft: (rev) => `Saved as draft (revision ${rev}). Publish to make it live.`,
    confirmDelete: (id) => `Delete “${id}”? The bot keeps using it until the next publish.`,
    deleted: (id) => `Deleted ${id}; publish to make it final.`,
    history: "Revision history", rev: (n) => `Revision ${n}`, firstRevision: "First revision: everything is new.",
    diffAgainst: (a, b) => `Changes from revision ${a} to ${b}`, noChanges: "No text changes (only metadata).",
    deletedRev: "Deleted", fieldQuestion: "Question", fieldPhrasings: "Phrasings", fieldAnswer: "Answer", fieldCategory: "Category", fieldLanguage: "Language", fieldTags: "Tags",
    pendingNone: "Everything is published.", pendingSome: (n) => `${n} change${n === 1 ? "" : "s"} waiting to be published`,
    whatChanges: "What will change", pendNew: "new", pendEdited: "edited", pendDeleted: "deleted",
    live: (v) => (v ? `Live: version ${v}` : "Nothing published yet"), publish: "Publish", publishing: "Publishing…",
    published_: (info) => `Published version ${info.version} · ${info.entries} entries · ${info.embedded_texts} new text${info.embedded_texts === 1 ? "" : "s"} embedded`
      + (info.learning === "pending" ? " · live now; ranking and gate are being relearned in the background" : ""),
    tryTitle: "Try it", tryIntro: "Ask a question the way a customer would and see what the bot would do.",
    customerQuestion: "Customer question", searchIn: "Search in", targetPublished: "Published KB", targetDraft: "Drafts (unpublished)",
    autoDetect: "Detect", ask: "Ask", searching: "Searching… (the first search of new drafts can take a few seconds)",
    decision: { answer: "Answers directly", suggest: "Suggests choices", fallback: "Doesn't know (fallback)" },
    decisionHelp: { answer: "The top hit clears the answer threshold.", suggest: "The top hits are offered as choices.", fallback: "No hit is good enough: the bot says it doesn't know." },
    gate: (g) => `Gate: answer ≥ ${fmt(g.answer)} · suggest ≥ ${fmt(g.suggest)} · margin ${fmt(g.margin)}` + gateOrigin(g, "en"),
    fused: "score", dense: "dense", lexical: "lexical", noHits: "No hits.", openEntry: (id) => `Open entry ${id}`,
    searchedIn: (target, lang) => `Searched the ${target === "draft" ? "drafts" : "published KB"} · language ${lang}`,
    versionsTitle: "Published versions", versionsIntro: "Each publish makes a new version. Rolling back serves an earlier one again; drafts are kept.",
    version: "Version", author: "Author", publishedAt: "Published", actions: "Actions", liveBadge: "Live", rollback: "Roll back",
    confirmRollback: (v) => `Roll back to version ${v}? The bot will answer from it within seconds.`, rolledBack: (v) => `Version ${v} is live again.`,
    noVersions: "Nothing published yet.", rolledBackBy: (who) => `rolled back by ${who}`,
    learningPending: "learning…",
    gapsTitle: "Content gaps", gapsIntro: "Questions the bot could not answer, grouped by meaning, biggest first.", refresh: "Refresh",
    noGaps: "No unanswered questions. Nice.", asked: (n) => `asked ${n}×`, newest: "Newest", allWordings: (n) => `All ${n} wording${n === 1 ? "" : "s"}`,
    reasons: "Reasons", createFromGap: "Create entry from this group", newId: "Id for the new entry", create: "Create",
    reasonNames: { fallback: "no good answer", suggest: "only suggestions", not_helpful: "voted not helpful", negative_feedback: "unhelpful answer", low_confidence: "not sure" },
    importTitle: "Import", importIntro: "A .json, .csv or .xlsx file. Rows become drafts; if any row is bad nothing is imported.",
    file: "File", import: "Import", chooseFile: "Choose a file first.", importing: "Importing…",
    imported: (r) => `Imported: ${r.created} new, ${r.updated} changed, ${r.unchanged} unchanged.`,
    exportTitle: "Export", exportIntro: "Every entry (working copy, drafts included).", downloading: "Downloading…", downloaded: (f) => `Downloaded kb.${f}`,
    forbidden: "Only editors and admins may change the knowledge base.", failed: (s) => `Request failed (${s})`,
    confirmDiscardTitle: "Discard unsaved changes?", confirmDiscard: (what) => `Your changes to ${what} are not saved yet. If you leave now they are lost.`,
    keepEditing: "Keep editing", discard: "Discard changes", thisEntry: "this entry", theNewEntry: "the new entry",
    confirmPublishTitle: "Publish these changes?", confirmPublishIntro: (n) => `${n} change${n === 1 ? "" : "s"} will go live: the bot answers from them within seconds.`,
    publishN: (n) => `Publish ${n} change${n === 1 ? "" : "s"}`, confirmRollbackTitle: "Roll back?", confirmDeleteTitle: "Delete this entry?",
    errRequired: "This can't be empty.", errIdPattern: "Use only letters, digits and - _ . : (no spaces).", errTooLong: (n) => `Too long: at most ${n} characters.`, errTooManyPhrasings: (n) => `Too many phrasings: at most ${n} per entry.`,
    errExists: "An entry with this id already exists. Choose another id.", errLanguage: "Choose English or Chinese.", errInvalid: "This value isn't accepted.",
    errFix: "Please fix the fields marked in red.", votedDownAnswer: "Answer voted not helpful:", votes: (n) => `${n} vote${n === 1 ? "" : "s"}`,
    categoryNames: { orders: "Orders", shipping: "Shipping", returns: "Returns", payment: "Payment", account: "Account", product: "Product", other: "Other" },
    row: "Row", idColumn: "Id", message: "Problem",
  },
  zh: {
    title: "知识库", uiLanguage: "界面语言", username: "用户名", password: "密码", signIn: "登录",
    signOut: "退出", loginIntro: "使用客服控制台账号登录，编辑机器人的回答。",
    wrongLogin: "用户名或密码错误。", signInAgain: "请重新登录。",
    roleEditor: "编辑", roleAdmin: "管理员", roleAgent: "只读",
    sections: "分区", tabList: "条目", tabEntry: "条目详情", tabTry: "试一试", tabVersions: "版本", tabGaps: "内容缺口", tabIo: "导入 / 导出",
    entries: "条目", newEntry: "新建条目", search: "搜索", searchPlaceholder: "搜索问题、答案、ID…",
    language: "语言", category: "分类", status: "状态", allLanguages: "全部语言", allCategories: "全部分类", allStatuses: "全部状态",
    draft: "草稿", published: "已发布", noEntries: "没有匹配的条目。",
    listSummary: (shown, drafts, total) => `显示 ${shown} 条 · 草稿 ${drafts} 条 · 共 ${total} 条`,
    pickEntry: "从列表中选择一个条目，或新建一个。",
    readonlyNote: "你可以查看知识库；只有编辑和管理员可以修改。",
    entryId: "条目 ID", idHint: "只能包含字母、数字和 - _ . :，例如 shipping-express-cost-zh",
    question: "问题", phrasings: "其他问法（每行一个）", answer: "答案（Markdown）",
    mdHint: "**粗体**、*斜体*、以“- ”或“1. ”开头的列表、[链接](https://…)", preview: "预览", previewEmpty: "答案预览会显示在这里。",
    tags: "标签（逗号分隔）", saveDraft: "保存草稿", cancel: "取消", delete: "删除",
    newEntryTitle: "新建条目", revisionBy: (rev, who, when) => `第 ${rev} 版 · ${who} · ${when}`,
    statusDraft: "草稿", statusPublished: "已发布",
    savedDraft: (rev) => `已保存为草稿（第 ${rev} 版）。发布后生效。`,
    confirmDelete: (id) => `删除“${id}”？下次发布前机器人仍会使用它。`,
    deleted: (id) => `已删除 ${id}；发布后生效。`,
    history: "修订历史", rev: (n) => `第 ${n} 版`, firstRevision: "第一版：全部为新增内容。",
    diffAgainst: (a, b) => `第 ${a} 版到第 ${b} 版的改动`, noChanges: "文本没有变化（只改了属性）。",
    deletedRev: "已删除", fieldQuestion: "问题", fieldPhrasings: "问法", fieldAnswer: "答案", fieldCategory: "分类", fieldLanguage: "语言", fieldTags: "标签",
    pendingNone: "所有内容都已发布。", pendingSome: (n) => `有 ${n} 项改动等待发布`,
    whatChanges: "将要发布的改动", pendNew: "新增", pendEdited: "修改", pendDeleted: "删除",
    live: (v) => (v ? `线上版本：${v}` : "尚未发布"), publish: "发布", publishing: "正在发布…",
    published_: (info) => `已发布版本 ${info.version} · ${info.entries} 个条目 · 新嵌入 ${info.embedded_texts} 条文本`
      + (info.learning === "pending" ? " · 已生效，排序和阈值正在后台重新学习" : ""),
    tryTitle: "试一试", tryIntro: "像顾客一样提问，看看机器人会怎么做。",
    customerQuestion: "顾客的问题", searchIn: "搜索范围", targetPublished: "已发布的知识库", targetDraft: "草稿（未发布）",
    autoDetect: "自动识别", ask: "提问", searching: "正在搜索…（新草稿的第一次搜索可能需要几秒）",
    decision: { answer: "直接回答", suggest: "给出候选", fallback: "无法回答（兜底）" },
    decisionHelp: { answer: "最佳结果超过了回答阈值。", suggest: "把最佳的几个结果作为选项给顾客。", fallback: "没有足够好的结果：机器人会说不知道。" },
    gate: (g) => `阈值：回答 ≥ ${fmt(g.answer)} · 候选 ≥ ${fmt(g.suggest)} · 差距 ${fmt(g.margin)}` + gateOrigin(g, "zh"),
    fused: "综合", dense: "向量", lexical: "词匹配", noHits: "没有结果。", openEntry: (id) => `打开条目 ${id}`,
    searchedIn: (target, lang) => `搜索范围：${target === "draft" ? "草稿" : "已发布的知识库"} · 语言 ${lang}`,
    versionsTitle: "已发布版本", versionsIntro: "每次发布都会生成新版本。回滚会重新启用旧版本，草稿保留。",
    version: "版本", author: "发布人", publishedAt: "发布时间", actions: "操作", liveBadge: "线上", rollback: "回滚",
    confirmRollback: (v) => `回滚到版本 ${v}？机器人几秒内会改用该版本回答。`, rolledBack: (v) => `版本 ${v} 已重新上线。`,
    noVersions: "尚未发布。", rolledBackBy: (who) => `由 ${who} 回滚`,
    learningPending: "学习中…",
    gapsTitle: "内容缺口", gapsIntro: "机器人没能回答的问题，按意思分组，数量多的在前。", refresh: "刷新",
    noGaps: "没有未回答的问题。", asked: (n) => `被问 ${n} 次`, newest: "最新", allWordings: (n) => `全部 ${n} 种问法`,
    reasons: "原因", createFromGap: "用这一组新建条目", newId: "新条目的 ID", create: "创建",
    reasonNames: { fallback: "没有合适答案", suggest: "只给了候选", not_helpful: "顾客评为没帮助", negative_feedback: "回答没帮助", low_confidence: "不确定" },
    importTitle: "导入", importIntro: ".json、.csv 或 .xlsx 文件。每行成为草稿；只要有一行有误，就不会导入任何内容。",
    file: "文件", import: "导入", chooseFile: "请先选择文件。", importing: "正在导入…",
    imported: (r) => `已导入：新增 ${r.created}，修改 ${r.updated}，未变 ${r.unchanged}。`,
    exportTitle: "导出", exportIntro: "全部条目（工作副本，包括草稿）。", downloading: "正在下载…", downloaded: (f) => `已下载 kb.${f}`,
    forbidden: "只有编辑和管理员可以修改知识库。", failed: (s) => `请求失败（${s}）`,
    confirmDiscardTitle: "放弃未保存的修改？", confirmDiscard: (what) => `${what}的修改还没有保存。现在离开，修改会丢失。`,
    keepEditing: "继续编辑", discard: "放弃修改", thisEntry: "这个条目", theNewEntry: "新条目",
    confirmPublishTitle: "发布这些改动？", confirmPublishIntro: (n) => `${n} 项改动将上线，机器人几秒内会按新内容回答。`,
    publishN: (n) => `发布 ${n} 项改动`, confirmRollbackTitle: "确认回滚？", confirmDeleteTitle: "删除这个条目？",
    errRequired: "此项不能为空。", errIdPattern: "只能使用字母、数字和 - _ . :（不能有空格）。", errTooLong: (n) => `太长了：最多 ${n} 个字符。`, errTooManyPhrasings: (n) => `问法太多了：每个条目最多 ${n} 个。`,
    errExists: "已有相同 ID 的条目，请换一个 ID。", errLanguage: "请选择英文或中文。", errInvalid: "这个值不符合要求。",
    errFix: "请修改标红的字段。", votedDownAnswer: "被评为没帮助的答案：", votes: (n) => `${n} 票`,
    categoryNames: { orders: "订单", shipping: "物流配送", returns: "退换货", payment: "支付", account: "账户", product: "商品", other: "其他" },
    row: "行", idColumn: "ID", message: "问题",
  },
};

export const i18n = createI18n(TEXT, "cs_kb_ui_lang");
export const t = i18n.t;

// A category's name in the interface language (an unknown one is shown as it is).
export function categoryName(category) { return t("categoryNames")[category] || category; }
