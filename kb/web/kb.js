// Knowledge-base editor. Every piece of entry/customer/agent text is written with textContent or DOM nodes, never as HTML.
const TOKEN_KEY = "cs_agent_token"; // shared with the agent console: one sign-in for both pages
const LANG_KEY = "cs_kb_ui_lang";
const KNOWN_CATEGORIES = ["orders", "shipping", "returns", "payment", "account", "product", "other"];
const STOPWORDS = new Set("a an the is are am was be do does did i me my we our you your it its to of for in on at by with can could how what when where which who why will would should and or not no if from about this that there please".split(" "));

// ---------- UI text ----------
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
    published_: (info) => `Published version ${info.version} · ${info.entries} entries · ${info.embedded_texts} new text${info.embedded_texts === 1 ? "" : "s"} embedded`,
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
    gapsTitle: "Content gaps", gapsIntro: "Questions the bot could not answer, grouped by meaning, biggest first.", refresh: "Refresh",
    noGaps: "No unanswered questions. Nice.", asked: (n) => `asked ${n}×`, newest: "Newest", allWordings: (n) => `All ${n} wording${n === 1 ? "" : "s"}`,
    reasons: "Reasons", createFromGap: "Create entry from this group", newId: "Id for the new entry", create: "Create",
    reasonNames: { fallback: "no good answer", suggest: "only suggestions", negative_feedback: "unhelpful answer", low_confidence: "not sure" },
    importTitle: "Import", importIntro: "A .json, .csv or .xlsx file. Rows become drafts; if any row is bad nothing is imported.",
    file: "File", import: "Import", chooseFile: "Choose a file first.", importing: "Importing…",
    imported: (r) => `Imported: ${r.created} new, ${r.updated} changed, ${r.unchanged} unchanged.`,
    row: "Row", message: "Problem",
    exportTitle: "Export", exportIntro: "Every entry (working copy, drafts included).", downloading: "Downloading…", downloaded: (f) => `Downloaded kb.${f}`,
    forbidden: "Only editors and admins may change the knowledge base.", failed: (s) => `Request failed (${s})`,
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
    published_: (info) => `已发布版本 ${info.version} · ${info.entries} 个条目 · 新嵌入 ${info.embedded_texts} 条文本`,
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
    gapsTitle: "内容缺口", gapsIntro: "机器人没能回答的问题，按意思分组，数量多的在前。", refresh: "刷新",
    noGaps: "没有未回答的问题。", asked: (n) => `被问 ${n} 次`, newest: "最新", allWordings: (n) => `全部 ${n} 种问法`,
    reasons: "原因", createFromGap: "用这一组新建条目", newId: "新条目的 ID", create: "创建",
    reasonNames: { fallback: "没有合适答案", suggest: "只给了候选", negative_feedback: "回答没帮助", low_confidence: "不确定" },
    importTitle: "导入", importIntro: ".json、.csv 或 .xlsx 文件。每行成为草稿；只要有一行有误，就不会导入任何内容。",
    file: "文件", import: "导入", chooseFile: "请先选择文件。", importing: "正在导入…",
    imported: (r) => `已导入：新增 ${r.created}，修改 ${r.updated}，未变 ${r.unchanged}。`,
    row: "行", message: "问题",
    exportTitle: "导出", exportIntro: "全部条目（工作副本，包括草稿）。", downloading: "正在下载…", downloaded: (f) => `已下载 kb.${f}`,
    forbidden: "只有编辑和管理员可以修改知识库。", failed: (s) => `请求失败（${s}）`,
  },
};

const $ = (id) => document.getElementById(id);
const els = {
  loginView: $("login-view"), loginForm: $("login-form"), username: $("username"), password: $("password"), loginError: $("login-error"),
  app: $("app-view"), meName: $("me-name"), meRole: $("me-role"), logout: $("logout"),
  pendingSummary: $("pending-summary"), liveVersion: $("live-version"), publishResult: $("publish-result"), pendingDetails: $("pending-details"),
  pendingList: $("pending-list"), publish: $("publish"),
  q: $("q"), fLanguage: $("f-language"), fCategory: $("f-category"), fStatus: $("f-status"), filters: $("filters"),
  listCount: $("list-count"), listSummary: $("list-summary"), list: $("entry-list"), listEmpty: $("list-empty"), newEntry: $("new-entry"),
  placeholder: $("entry-placeholder"), editor: $("editor"), editorTitle: $("editor-title"), editorSub: $("editor-sub"), editorStatus: $("editor-status"),
  readonlyNote: $("readonly-note"), fieldId: $("field-id"), id: $("e-id"), question: $("e-question"), phrasings: $("e-phrasings"), answer: $("e-answer"),
  preview: $("preview"), category: $("e-category"), categoryOptions: $("category-options"), language: $("e-language"), tags: $("e-tags"),
  formError: $("form-error"), save: $("save"), cancelNew: $("cancel-new"), saveStatus: $("save-status"), del: $("delete"),
  history: $("history"), historyList: $("history-list"), diff: $("diff"),
  tryForm: $("try-form"), tryQ: $("try-q"), tryLang: $("try-lang"), tryError: $("try-error"), tryResult: $("try-result"),
  versionsBody: $("versions-body"), versionsError: $("versions-error"),
  gapsList: $("gaps-list"), gapsEmpty: $("gaps-empty"), gapsError: $("gaps-error"), gapsRefresh: $("gaps-refresh"),
  importForm: $("import-form"), importFile: $("import-file"), importStatus: $("import-status"), importErrors: $("import-errors"), exportStatus: $("export-status"),
};

const state = {
  token: sessionStorage.getItem(TOKEN_KEY), me: null, lang: initialLang(), tab: "entry",
  entries: [], all: [], pending: { changed: [], deleted: [] }, live: null, current: null, isNew: false,
  historyRevs: [], historyIndex: -1, lastTry: null, versions: null, gaps: null, lastPublish: null,
};

function initialLang() {
  const saved = localStorage.getItem(LANG_KEY);
  if (saved === "en" || saved === "zh") return saved;
  return (navigator.language || "en").toLowerCase().startsWith("zh") ? "zh" : "en";
}

function t(key, ...args) {
  const v = TEXT[state.lang][key] ?? TEXT.en[key];
  return typeof v === "function" ? v(...args) : v ?? key;
}

// ---------- helpers ----------
function el(tag, className, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined && text !== null) node.textContent = String(text);
  return node;
}

function button(className, text, onClick, label) {
  const b = el("button", className, text);
  b.type = "button";
  if (label) b.setAttribute("aria-label", label);
  if (onClick) b.addEventListener("click", onClick);
  return b;
}

function fmt(n) {
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

function fmtTime(ts) {
  if (!ts) return "";
  return new Date(ts * 1000).toLocaleString(state.lang === "zh" ? "zh-CN" : "en-GB", { dateStyle: "medium", timeStyle: "short" });
}

const canEdit = () => !!state.me && (state.me.role === "editor" || state.me.role === "admin");

class ApiError extends Error {
  constructor(status, message, detail, errors) {
    super(message);
    this.status = status; this.detail = detail; this.errors = errors;
  }
}

async function api(path, { method = "GET", body, form, raw = false } = {}) {
  const headers = {};
  if (body !== undefined) headers["Content-Type"] = "application/json";
  if (state.token) headers.Authorization = `Bearer ${state.token}`;
  const resp = await fetch(path, {
    method, headers, credentials: "same-origin",
    body: form || (body !== undefined ? JSON.stringify(body) : undefined),
  });
  if (resp.status === 401 && !path.endsWith("/login")) { signedOut(); throw new ApiError(401, t("signInAgain")); }
  if (!resp.ok) {
    let detail = null, errors = null, message = t("failed", resp.status);
    try {
      const j = await resp.json();
      detail = j.detail; errors = j.errors || (detail && detail.errors) || null;
      if (typeof detail === "string") message = detail;
      else if (detail && typeof detail.message === "string") message = detail.message;
    } catch { /* keep default */ }
    if (resp.status === 403) message = t("forbidden");
    throw new ApiError(resp.status, message, detail, errors);
  }
  if (raw) return resp;
  return resp.status === 204 ? null : resp.json();
}
const kb = (path, opts) => api(`/api/kb${path}`, opts);

function showMsg(node, message) {
  node.textContent = message || "";
  node.hidden = !message;
}

// ---------- i18n ----------
function applyLang() {
  document.documentElement.lang = state.lang === "zh" ? "zh-CN" : "en";
  document.title = t("title");
  for (const n of document.querySelectorAll("[data-i18n]")) n.textContent = t(n.dataset.i18n);
  for (const n of document.querySelectorAll("[data-i18n-placeholder]")) n.placeholder = t(n.dataset.i18nPlaceholder);
  for (const n of document.querySelectorAll("[data-i18n-aria]")) n.setAttribute("aria-label", t(n.dataset.i18nAria));
  for (const s of document.querySelectorAll(".ui-lang-select")) s.value = state.lang;
  if (state.me) {
    renderMe(); renderList(); renderPending(); renderEditorHead(); renderPreview(); renderHistory();
    if (state.lastTry) renderTry(state.lastTry);
    if (state.versions) renderVersions();
    if (state.gaps) renderGaps();
  }
}
for (const s of document.querySelectorAll(".ui-lang-select")) {
  s.addEventListener("change", () => {
    state.lang = s.value === "zh" ? "zh" : "en";
    localStorage.setItem(LANG_KEY, state.lang);
    applyLang();
  });
}

// ---------- login ----------
els.loginForm.addEventListener("submit", async (ev) => {
  ev.preventDefault();
  els.loginError.hidden = true;
  try {
    const res = await api("/api/agent/login", { method: "POST", body: { username: els.username.value.trim(), password: els.password.value } });
    state.token = res.token;
    sessionStorage.setItem(TOKEN_KEY, res.token);
    els.password.value = "";
    enter(res.agent);
  } catch (e) {
    showMsg(els.loginError, e.status === 401 ? t("wrongLogin") : e.message);
  }
});

els.logout.addEventListener("click", async () => {
  try { await api("/api/agent/logout", { method: "POST" }); } catch { /* already gone */ }
  signedOut();
});

function signedOut() {
  sessionStorage.removeItem(TOKEN_KEY);
  state.token = null; state.me = null;
  els.app.hidden = true;
  els.loginView.hidden = false;
  els.username.focus();
}

async function boot() {
  applyLang();
  if (state.token) {
    try { enter(await api("/api/agent/me")); return; } catch { /* fall through to login */ }
  }
  els.loginView.hidden = false;
  els.username.focus();
}

function renderMe() {
  const me = state.me;
  els.meName.textContent = me.display_name || me.username;
  els.meRole.textContent = me.role === "admin" ? t("roleAdmin") : me.role === "editor" ? t("roleEditor") : t("roleAgent");
  els.meRole.classList.toggle("ro", !canEdit());
}

function enter(agent) {
  state.me = agent;
  els.loginView.hidden = true;
  els.app.hidden = false;
  document.body.classList.toggle("readonly", !canEdit());
  els.publish.hidden = !canEdit();
  renderMe();
  showTab(matchMedia("(max-width: 800px)").matches ? "list" : "entry");
  refreshAll();
}

async function refreshAll() {
  await Promise.all([loadEntries(), loadPending()]);
}

// ---------- tabs ----------
const tabs = [...document.querySelectorAll(".tab")];
function showTab(name) {
  state.tab = name;
  els.app.dataset.tab = name;
  for (const tab of tabs) {
    if (tab.dataset.tab === name) {
      tab.setAttribute("aria-current", "page");
      if (tab.offsetParent) tab.scrollIntoView({ block: "nearest", inline: "nearest" });
    } else tab.removeAttribute("aria-current");
  }
  const panel = name === "list" ? "entry" : name;
  for (const p of document.querySelectorAll(".panel")) p.hidden = p.dataset.panel !== panel;
  if (name === "versions") loadVersions();
  if (name === "gaps" && !state.gaps) loadGaps();
}
for (const tab of tabs) tab.addEventListener("click", () => showTab(tab.dataset.tab));

// ---------- entry list ----------
let searchTimer = null;
els.q.addEventListener("input", () => { clearTimeout(searchTimer); searchTimer = setTimeout(loadEntries, 200); });
for (const s of [els.fLanguage, els.fCategory, els.fStatus]) s.addEventListener("change", loadEntries);
els.filters.addEventListener("submit", (ev) => { ev.preventDefault(); loadEntries(); });

async function loadEntries() {
  const params = new URLSearchParams();
  if (els.q.value.trim()) params.set("q", els.q.value.trim());
  for (const [k, s] of [["language", els.fLanguage], ["category", els.fCategory], ["status", els.fStatus]]) if (s.value) params.set(k, s.value);
  try {
    const [filtered, all] = await Promise.all([kb(`/entries?${params}`), kb("/entries")]);
    state.entries = filtered; state.all = all;
    renderCategories();
    renderList();
  } catch (e) { showMsg(els.formError, e.message); }
}

function categories() {
  return [...new Set([...KNOWN_CATEGORIES, ...state.all.map((e) => e.category)])].sort();
}

function renderCategories() {
  const cats = categories();
  const chosen = els.fCategory.value;
  const first = els.fCategory.options[0];
  els.fCategory.replaceChildren(first, ...cats.map((c) => { const o = el("option", null, c); o.value = c; return o; }));
  els.fCategory.value = cats.includes(chosen) ? chosen : "";
  els.categoryOptions.replaceChildren(...cats.map((c) => { const o = el("option"); o.value = c; return o; }));
}

function renderList() {
  const entries = state.entries;
  const drafts = entries.filter((e) => e.status === "draft").length;
  els.listCount.textContent = String(entries.length);
  els.listSummary.textContent = t("listSummary", entries.length, drafts, state.all.length);
  els.listEmpty.hidden = entries.length > 0;
  els.list.replaceChildren(...entries.map((e) => {
    const li = el("li");
    li.dataset.id = e.id;
    const b = button(`item${state.current && !state.isNew && state.current.id === e.id ? " active" : ""}`, null, () => openEntry(e.id));
    if (state.current && !state.isNew && state.current.id === e.id) b.setAttribute("aria-current", "true");
    const top = el("div", "item-top");
    top.append(el("span", "item-name", e.question));
    b.append(top);
    b.append(el("div", "item-text", e.id));
    const tags = el("div", "tags");
    tags.append(el("span", `tag status ${e.status}`, e.status === "draft" ? t("statusDraft") : t("statusPublished")));
    tags.append(el("span", "tag", e.language === "zh" ? "中文" : "English"));
    tags.append(el("span", "tag", e.category));
    b.append(tags);
    li.append(b);
    return li;
  }));
}

// ---------- pending / publish ----------
async function loadPending() {
  try {
    const [pending, versions] = await Promise.all([kb("/pending"), kb("/versions")]);
    state.pending = pending; state.live = versions.live;
    renderPending();
  } catch { /* list error already shown */ }
}

function renderPending() {
  const { changed, deleted } = state.pending;
  const n = changed.length + deleted.length;
  els.pendingSummary.textContent = n ? t("pendingSome", n) : t("pendingNone");
  els.liveVersion.textContent = t("live", state.live);
  els.publishResult.textContent = state.lastPublish ? t("published_", state.lastPublish) : "";
  els.pendingDetails.hidden = n === 0;
  els.publish.disabled = n === 0;
  els.app.classList.toggle("has-pending", n > 0);
  const byId = new Map(state.all.map((e) => [e.id, e]));
  const items = [];
  for (const id of changed) {
    const e = byId.get(id);
    const kind = e && e.revision === 1 ? t("pendNew") : t("pendEdited");
    const li = el("li", `pend ${e && e.revision === 1 ? "new" : "edited"}`);
    li.append(el("span", "pend-kind", kind), button("linklike", id, () => openEntry(id), t("openEntry", id)));
    items.push(li);
  }
  for (const id of deleted) {
    const li = el("li", "pend deleted");
    li.append(el("span", "pend-kind", t("pendDeleted")), el("span", "pend-id", id));
    items.push(li);
  }
  els.pendingList.replaceChildren(...items);
}

els.publish.addEventListener("click", async () => {
  els.publish.disabled = true;
  els.publishResult.textContent = t("publishing");
  try {
    state.lastPublish = await kb("/publish", { method: "POST" });
    state.versions = null;
    await refreshAll();
    if (state.current && !state.isNew) await openEntry(state.current.id, { keepTab: true });
    if (state.tab === "versions") loadVersions();
  } catch (e) {
    els.publishResult.textContent = e.message;
    els.publish.disabled = false;
  }
});

// ---------- editor ----------
const FIELDS = ["id", "question", "phrasings", "answer", "category", "language", "tags"];

function clearErrors() {
  for (const f of FIELDS) { const n = $(`err-${f}`); if (n) showMsg(n, ""); }
  for (const f of FIELDS) els[f].removeAttribute("aria-invalid");
  showMsg(els.formError, "");
}

function fieldError(field, message) {
  const n = $(`err-${field}`);
  if (!n || !FIELDS.includes(field)) return false;
  showMsg(n, n.hidden ? message : `${n.textContent}; ${message}`);
  els[field].setAttribute("aria-invalid", "true");
  return true;
}

function showApiErrors(e) {
  const general = [];
  if (Array.isArray(e.errors) && e.errors.length) {
    for (const err of e.errors) {
      const loc = (err.loc || []).filter((p) => p !== "body");
      const field = String(loc[0] ?? "");
      if (!fieldError(field, err.msg)) general.push(`${loc.join(".")}: ${err.msg}`);
    }
  } else if (typeof e.detail === "string" && e.status === 422) {
    for (const part of e.detail.split("; ")) {
      const m = part.match(/^([a-z_]+)(?:\.\d+)?: (.*)$/);
      if (!m || !fieldError(m[1], m[2])) general.push(part);
    }
  } else if (e.status === 409) {
    if (!fieldError("id", e.message)) general.push(e.message);
  } else general.push(e.message);
  showMsg(els.formError, general.join("\n") || (e.status === 422 ? e.message : ""));
  const firstBad = els.editor.querySelector("[aria-invalid='true']");
  if (firstBad) firstBad.focus();
}

function fillForm(entry) {
  els.id.value = entry.id || "";
  els.question.value = entry.question || "";
  els.phrasings.value = (entry.phrasings || []).join("\n");
  els.answer.value = entry.answer || "";
  els.category.value = entry.category || "other";
  els.language.value = entry.language || "en";
  els.tags.value = (entry.tags || []).join(", ");
  renderPreview();
}

function formBody() {
  return {
    question: els.question.value.trim(),
    phrasings: els.phrasings.value.split("\n").map((s) => s.trim()).filter(Boolean),
    answer: els.answer.value.trim(),
    category: els.category.value.trim() || "other",
    language: els.language.value,
    tags: els.tags.value.split(/[,，]/).map((s) => s.trim()).filter(Boolean),
  };
}

function renderEditorHead() {
  if (!state.me) return;
  const e = state.current;
  if (state.isNew) {
    els.editorTitle.textContent = t("newEntryTitle");
    els.editorSub.textContent = "";
    els.editorStatus.textContent = t("statusDraft");
    els.editorStatus.className = "tag status draft";
  } else if (e) {
    els.editorTitle.textContent = e.id;
    els.editorSub.textContent = t("revisionBy", e.revision, e.updated_by, fmtTime(e.updated_at));
    els.editorStatus.textContent = e.status === "draft" ? t("statusDraft") : t("statusPublished");
    els.editorStatus.className = `tag status ${e.status}`;
  }
}

function setEditable() {
  const ro = !canEdit();
  for (const f of FIELDS) { els[f].disabled = ro; }
  els.readonlyNote.hidden = !ro;
}

function showEditor() {
  els.placeholder.hidden = true;
  els.editor.hidden = false;
  els.fieldId.hidden = !state.isNew;
  els.cancelNew.hidden = !state.isNew;
  els.del.hidden = state.isNew;
  setEditable();
  renderEditorHead();
  clearErrors();
  els.saveStatus.textContent = "";
}

async function openEntry(id, { keepTab = false } = {}) {
  try {
    const entry = await kb(`/entries/${encodeURIComponent(id)}`);
    state.current = entry; state.isNew = false;
    fillForm(entry);
    showEditor();
    if (!keepTab) showTab("entry");
    renderList();
    await loadHistory(id);
  } catch (e) {
    showTab("entry");
    showMsg(els.formError, e.message);
  }
}

function newEntry(prefill = {}) {
  state.current = null; state.isNew = true;
  fillForm({ category: els.fCategory.value || "other", language: els.fLanguage.value || state.lang, ...prefill });
  showEditor();
  els.history.hidden = true;
  showTab("entry");
  renderList();
  els.id.focus();
}
els.newEntry.addEventListener("click", () => newEntry());
els.cancelNew.addEventListener("click", () => {
  state.isNew = false;
  els.editor.hidden = true; els.placeholder.hidden = false;
});

els.editor.addEventListener("submit", async (ev) => {
  ev.preventDefault();
  if (!canEdit()) return;
  clearErrors();
  els.save.disabled = true;
  try {
    const body = formBody();
    const saved = state.isNew
      ? await kb("/entries", { method: "POST", body: { id: els.id.value.trim(), ...body } })
      : await kb(`/entries/${encodeURIComponent(state.current.id)}`, { method: "PUT", body });
    state.current = saved; state.isNew = false;
    showEditor();
    fillForm(saved);
    els.saveStatus.textContent = t("savedDraft", saved.revision);
    await Promise.all([refreshAll(), loadHistory(saved.id)]);
  } catch (e) {
    showApiErrors(e);
  } finally {
    els.save.disabled = false;
  }
});

els.del.addEventListener("click", async () => {
  if (!state.current || !canEdit()) return;
  const id = state.current.id;
  if (!confirm(t("confirmDelete", id))) return;
  try {
    await kb(`/entries/${encodeURIComponent(id)}`, { method: "DELETE" });
    state.current = null;
    els.editor.hidden = true; els.history.hidden = true; els.placeholder.hidden = false;
    els.publishResult.textContent = t("deleted", id);
    await refreshAll();
  } catch (e) { showApiErrors(e); }
});

document.addEventListener("keydown", (ev) => {
  if ((ev.ctrlKey || ev.metaKey) && ev.key.toLowerCase() === "s" && !els.editor.hidden && canEdit()) {
    ev.preventDefault();
    els.editor.requestSubmit();
  } else if (ev.key === "/" && !/^(INPUT|TEXTAREA|SELECT)$/.test(document.activeElement?.tagName || "") && state.me) {
    ev.preventDefault();
    if (state.tab !== "entry" && state.tab !== "list") showTab(matchMedia("(max-width: 800px)").matches ? "list" : "entry");
    els.q.focus();
  }
});

// ---------- markdown preview (safe subset, DOM nodes only) ----------
const INLINE = /(\*\*[^*\n]+?\*\*|__[^_\n]+?__|\*[^*\s][^*\n]*?\*|_[^_\s][^_\n]*?_|`[^`\n]+`|\[[^\]\n]+\]\([^)\s]+\))/;

function inline(text, parent) {
  const parts = text.split(INLINE);
  for (const part of parts) {
    if (!part) continue;
    let m;
    if ((m = part.match(/^\*\*(.+)\*\*$/) || part.match(/^__(.+)__$/))) { const s = el("strong"); inline(m[1], s); parent.append(s); }
    else if ((m = part.match(/^\*(.+)\*$/) || part.match(/^_(.+)_$/))) { const s = el("em"); inline(m[1], s); parent.append(s); }
    else if ((m = part.match(/^`(.+)`$/))) parent.append(el("code", null, m[1]));
    else if ((m = part.match(/^\[(.+)\]\((.+)\)$/))) {
      const s = el("span", "md-link");
      inline(m[1], s);
      parent.append(s, el("span", "md-url", ` (${m[2]})`));
    } else parent.append(document.createTextNode(part));
  }
}

function renderMarkdown(src) {
  const frag = document.createDocumentFragment();
  const lines = String(src || "").replace(/\r\n?/g, "\n").split("\n");
  let para = null, list = null;
  const close = () => { para = null; list = null; };
  for (const line of lines) {
    if (!line.trim()) { close(); continue; }
    const item = line.match(/^\s*([-*+]|\d+[.)])\s+(.*)$/);
    const heading = line.match(/^\s*#{1,6}\s+(.*)$/);
    if (item) {
      const ordered = /\d/.test(item[1]);
      if (!list || (list.tagName === "OL") !== ordered) { list = el(ordered ? "ol" : "ul"); frag.append(list); para = null; }
      const li = el("li"); inline(item[2], li); list.append(li);
    } else if (heading) {
      close();
      const h = el("p", "md-heading"); inline(heading[1], h); frag.append(h);
    } else if (list && /^\s{2,}/.test(line)) {
      const last = list.lastElementChild; last.append(" "); inline(line.trim(), last);
    } else {
      list = null;
      if (para) para.append(el("br")); else { para = el("p"); frag.append(para); }
      inline(line.trim(), para);
    }
  }
  return frag;
}

function renderPreview() {
  const text = els.answer.value;
  if (!text.trim()) els.preview.replaceChildren(el("p", "muted", t("previewEmpty")));
  else els.preview.replaceChildren(renderMarkdown(text));
}
els.answer.addEventListener("input", renderPreview);

// ---------- history and diff ----------
async function loadHistory(id) {
  try {
    state.historyRevs = await kb(`/entries/${encodeURIComponent(id)}/history`);
    state.historyIndex = state.historyRevs.length - 1;
  } catch { state.historyRevs = []; state.historyIndex = -1; }
  renderHistory();
}

function renderHistory() {
  const revs = state.historyRevs;
  els.history.hidden = state.isNew || !state.current || revs.length === 0;
  if (els.history.hidden) return;
  const items = [];
  revs.forEach((r, i) => {
    const li = el("li");
    const isDeleted = r.answer === "(deleted)" && i > 0 && r.revision === revs[i - 1].revision;
    const b = button(`rev${i === state.historyIndex ? " active" : ""}`, null, () => { state.historyIndex = i; renderHistory(); });
    if (i === state.historyIndex) b.setAttribute("aria-current", "true");
    b.append(el("strong", null, isDeleted ? t("deletedRev") : t("rev", r.revision)), el("span", "muted", ` ${r.updated_by} · ${fmtTime(r.updated_at)}`));
    li.append(b);
    items.push(li);
  });
  els.historyList.replaceChildren(...items.reverse());
  renderDiff();
}

function tokens(s) { return String(s || "").split(/(\s+)/).filter((x) => x !== ""); }

function diffSeq(a, b) {
  const n = a.length, m = b.length;
  if (n * m > 4_000_000) return [...a.map((x) => ["-", x]), ...b.map((x) => ["+", x])];
  const dp = Array.from({ length: n + 1 }, () => new Uint32Array(m + 1));
  for (let i = n - 1; i >= 0; i--) for (let j = m - 1; j >= 0; j--) dp[i][j] = a[i] === b[j] ? dp[i + 1][j + 1] + 1 : Math.max(dp[i + 1][j], dp[i][j + 1]);
  const out = [];
  let i = 0, j = 0;
  while (i < n && j < m) {
    if (a[i] === b[j]) { out.push(["=", a[i]]); i++; j++; }
    else if (dp[i + 1][j] >= dp[i][j + 1]) out.push(["-", a[i++]]);
    else out.push(["+", b[j++]]);
  }
  while (i < n) out.push(["-", a[i++]]);
  while (j < m) out.push(["+", b[j++]]);
  return out;
}

function diffNode(ops, lines) {
  const box = el("div", lines ? "diff-text lines" : "diff-text");
  for (const [op, text] of ops) {
    if (lines) {
      const row = el("div", op === "+" ? "line ins" : op === "-" ? "line del" : "line", text);
      row.prepend(el("span", "mark", op === "=" ? "  " : `${op} `));
      if (op !== "=") row.setAttribute("aria-label", `${op === "+" ? "added" : "removed"}: ${text}`);
      box.append(row);
    } else if (op === "=") box.append(document.createTextNode(text));
    else box.append(el(op === "+" ? "ins" : "del", null, text));
  }
  return box;
}

function renderDiff() {
  const revs = state.historyRevs, i = state.historyIndex;
  if (i < 0 || !revs[i]) { els.diff.replaceChildren(); return; }
  const cur = revs[i], prev = i > 0 ? revs[i - 1] : null;
  const parts = [el("h3", null, prev ? t("diffAgainst", prev.revision, cur.revision) : t("firstRevision"))];
  const before = prev || { question: "", phrasings: [], answer: "", category: "", language: "", tags: [] };
  let changed = 0;
  const section = (label, node) => { const s = el("div", "diff-field"); s.append(el("div", "diff-label", label), node); parts.push(s); };
  if (before.question !== cur.question) { changed++; section(t("fieldQuestion"), diffNode(diffSeq(tokens(before.question), tokens(cur.question)))); }
  if (JSON.stringify(before.phrasings) !== JSON.stringify(cur.phrasings)) { changed++; section(t("fieldPhrasings"), diffNode(diffSeq(before.phrasings, cur.phrasings), true)); }
  if (before.answer !== cur.answer) { changed++; section(t("fieldAnswer"), diffNode(diffSeq(tokens(before.answer), tokens(cur.answer)))); }
  for (const [key, label] of [["category", "fieldCategory"], ["language", "fieldLanguage"]]) {
    if (before[key] !== cur[key]) { changed++; section(t(label), diffNode(diffSeq(before[key] ? [before[key]] : [], [cur[key]]).map(([o, x]) => [o, `${x} `]))); }
  }
  if (JSON.stringify(before.tags) !== JSON.stringify(cur.tags)) { changed++; section(t("fieldTags"), diffNode(diffSeq(before.tags, cur.tags).map(([o, x]) => [o, `${x} `]))); }
  if (!changed) parts.push(el("p", "muted", t("noChanges")));
  els.diff.replaceChildren(...parts);
}

// ---------- try it ----------
els.tryForm.addEventListener("submit", async (ev) => {
  ev.preventDefault();
  showMsg(els.tryError, "");
  const question = els.tryQ.value.trim();
  if (!question) { els.tryQ.focus(); return; }
  const target = els.tryForm.querySelector("input[name='try-target']:checked").value;
  const body = { question, target };
  if (els.tryLang.value) body.language = els.tryLang.value;
  const run = $("try-run");
  run.disabled = true;
  els.tryResult.setAttribute("aria-busy", "true");
  els.tryResult.replaceChildren(el("p", "muted", t("searching")));
  els.tryResult.hidden = false;
  try {
    state.lastTry = await kb("/try", { method: "POST", body });
    renderTry(state.lastTry);
  } catch (e) { showMsg(els.tryError, e.message); els.tryResult.hidden = true; }
  finally { run.disabled = false; els.tryResult.removeAttribute("aria-busy"); }
});

function renderTry(res) {
  const parts = [];
  const head = el("div", "try-head");
  head.append(el("span", `decision ${res.decision}`, t("decision")[res.decision] || res.decision));
  head.append(el("span", "muted", t("decisionHelp")[res.decision] || ""));
  parts.push(head);
  parts.push(el("p", "muted small-text", t("searchedIn", res.target, res.language)));
  if (res.gate) parts.push(el("p", "gate", t("gate", res.gate)));
  if (!res.hits || !res.hits.length) parts.push(el("p", "muted", t("noHits")));
  else {
    const ol = el("ol", "hits");
    res.hits.forEach((h, i) => {
      const li = el("li", `hit${i === 0 ? " top" : ""}`);
      li.dataset.id = h.id;
      const top = el("div", "hit-top");
      top.append(el("span", "hit-rank", `#${i + 1}`), el("span", "hit-q", h.question));
      top.append(button("linklike hit-id", h.id, () => openEntry(h.id), t("openEntry", h.id)));
      li.append(top);
      const bar = el("div", "bar");
      const fill = el("div", "bar-fill");
      fill.style.width = `${Math.max(0, Math.min(1, Number(h.score) || 0)) * 100}%`;
      if (res.gate) fill.classList.add(h.score >= res.gate.answer ? "ok" : h.score >= res.gate.suggest ? "warn" : "bad");
      bar.append(fill);
      if (res.gate) {
        for (const [k, v] of [["answer", res.gate.answer], ["suggest", res.gate.suggest]]) {
          const tick = el("span", `tick ${k}`); tick.style.left = `${Math.max(0, Math.min(1, v)) * 100}%`; bar.append(tick);
        }
      }
      bar.setAttribute("aria-hidden", "true");
      li.append(bar);
      const scores = el("div", "scores");
      for (const [k, v] of [["fused", h.score], ["dense", h.dense], ["lexical", h.lexical]]) {
        const s = el("span", `score ${k}`); s.append(el("span", "muted", `${t(k)} `), el("strong", null, fmt(v))); scores.append(s);
      }
      li.append(scores);
      const ans = el("div", "hit-answer md");
      ans.append(renderMarkdown(h.answer));
      li.append(ans);
      ol.append(li);
    });
    parts.push(ol);
  }
  els.tryResult.replaceChildren(...parts);
  els.tryResult.hidden = false;
}

// ---------- versions ----------
async function loadVersions() {
  showMsg(els.versionsError, "");
  try {
    const res = await kb("/versions");
    state.versions = res; state.live = res.live;
    renderVersions();
    renderPending();
  } catch (e) { showMsg(els.versionsError, e.message); }
}

function renderVersions() {
  const { live, versions } = state.versions;
  if (!versions.length) {
    const tr = el("tr"); const td = el("td", "muted", t("noVersions")); td.colSpan = 5; tr.append(td);
    els.versionsBody.replaceChildren(tr); return;
  }
  els.versionsBody.replaceChildren(...[...versions].reverse().map((v) => {
    const tr = el("tr");
    tr.dataset.version = String(v.version);
    if (v.version === live) tr.className = "live";
    const vcell = el("td");
    vcell.append(el("strong", null, `v${v.version}`));
    if (v.version === live) vcell.append(" ", el("span", "tag status published", t("liveBadge")));
    const who = el("td", null, v.author || "");
    if (v.rolled_back_by) who.append(el("div", "muted small-text", t("rolledBackBy", v.rolled_back_by)));
    const act = el("td", "right");
    if (canEdit() && v.version !== live) {
      act.append(button("ghost small", t("rollback"), () => doRollback(v.version), `${t("rollback")} v${v.version}`));
    }
    tr.append(vcell, el("td", "num", v.entries ?? ""), who, el("td", null, fmtTime(v.published_at)), act);
    return tr;
  }));
}

async function doRollback(version) {
  if (!confirm(t("confirmRollback", version))) return;
  try {
    await kb("/rollback", { method: "POST", body: { version } });
    state.lastPublish = null;
    els.publishResult.textContent = t("rolledBack", version);
    await Promise.all([loadVersions(), refreshAll()]);
    els.publishResult.textContent = t("rolledBack", version);
  } catch (e) { showMsg(els.versionsError, e.message); }
}

// ---------- content gaps ----------
els.gapsRefresh.addEventListener("click", loadGaps);

async function loadGaps() {
  if (els.gapsRefresh.disabled) return; // one load at a time: a second render would wipe what the user typed
  showMsg(els.gapsError, "");
  els.gapsRefresh.disabled = true;
  els.gapsList.setAttribute("aria-busy", "true");
  try {
    state.gaps = await kb("/gaps");
    state.gaps.sort((a, b) => b.count - a.count || b.newest_at - a.newest_at);
    renderGaps();
  } catch (e) { showMsg(els.gapsError, e.message); }
  finally { els.gapsRefresh.disabled = false; els.gapsList.removeAttribute("aria-busy"); }
}

function slugify(text, fallback) {
  const words = String(text || "").normalize("NFKD").replace(/[\u0300-\u036f]/g, "").toLowerCase()
    .replace(/[^a-z0-9]+/g, " ").trim().split(" ").filter((w) => w && !STOPWORDS.has(w));
  return words.slice(0, 5).join("-") || fallback;
}

function gapId(group, category) {
  return `${category}-${slugify(group.newest, group.id.slice(0, 8))}-${group.language}`;
}

function renderGaps() {
  const groups = state.gaps || [];
  els.gapsEmpty.hidden = groups.length > 0;
  els.gapsList.replaceChildren(...groups.map((g, idx) => {
    const li = el("li", "gap");
    li.dataset.id = g.id;
    const top = el("div", "gap-top");
    top.append(el("span", "gap-count", t("asked", g.count)), el("span", "tag", g.language === "zh" ? "中文" : "English"));
    top.append(el("span", "muted small-text", fmtTime(g.newest_at)));
    li.append(top);
    const newest = el("p", "gap-newest");
    newest.append(el("span", "muted", `${t("newest")}: `), el("q", null, g.newest));
    li.append(newest);
    const det = el("details");
    det.append(el("summary", null, t("allWordings", g.questions.length)));
    const ul = el("ul", "wordings");
    for (const q of g.questions) ul.append(el("li", null, q));
    det.append(ul);
    li.append(det);
    const reasons = Object.entries(g.reasons || {});
    if (reasons.length) {
      const r = el("p", "muted small-text", `${t("reasons")}: ${reasons.map(([k, v]) => `${t("reasonNames")[k] || k} ×${v}`).join(", ")}`);
      li.append(r);
    }
    if (canEdit()) {
      const form = el("form", "gap-form");
      const catId = `gap-cat-${idx}`, idId = `gap-id-${idx}`;
      const catLabel = el("label", null, t("category")); catLabel.htmlFor = catId;
      const cat = el("select"); cat.id = catId;
      for (const c of categories()) { const o = el("option", null, c); o.value = c; cat.append(o); }
      cat.value = "other";
      const idLabel = el("label", null, t("newId")); idLabel.htmlFor = idId;
      const input = el("input"); input.id = idId; input.value = gapId(g, cat.value); input.spellcheck = false; input.autocomplete = "off";
      let edited = false;
      input.addEventListener("input", () => { edited = true; });
      cat.addEventListener("change", () => { if (!edited) input.value = gapId(g, cat.value); });
      const err = el("p", "field-error"); err.hidden = true; err.setAttribute("role", "alert");
      const submit = el("button", "primary small", t("createFromGap")); submit.type = "submit";
      const c1 = el("div", "field"); c1.append(catLabel, cat);
      const c2 = el("div", "field grow"); c2.append(idLabel, input);
      const row = el("div", "field-row"); row.append(c1, c2);
      form.append(row, err, submit);
      form.addEventListener("submit", async (ev) => {
        ev.preventDefault();
        showMsg(err, "");
        try {
          const entry = await kb("/gaps/draft", { method: "POST", body: { id: input.value.trim(), questions: g.questions, language: g.language, category: cat.value } });
          state.gaps = state.gaps.filter((x) => x.id !== g.id);
          renderGaps();
          await refreshAll();
          await openEntry(entry.id);
          els.answer.focus();
          els.answer.select();
        } catch (e) {
          const msg = Array.isArray(e.errors) && e.errors.length ? e.errors.map((x) => x.msg).join("; ") : e.message;
          showMsg(err, msg);
          input.setAttribute("aria-invalid", "true");
          input.focus();
        }
      });
      li.append(form);
    }
    return li;
  }));
}

// ---------- import / export ----------
els.importForm.addEventListener("submit", async (ev) => {
  ev.preventDefault();
  els.importErrors.replaceChildren();
  const file = els.importFile.files[0];
  if (!file) { els.importStatus.textContent = t("chooseFile"); els.importFile.focus(); return; }
  const form = new FormData();
  form.append("file", file, file.name);
  els.importStatus.textContent = t("importing");
  try {
    const res = await kb("/import", { method: "POST", form });
    els.importStatus.textContent = t("imported", res);
    els.importFile.value = "";
    await refreshAll();
  } catch (e) {
    els.importStatus.textContent = "";
    const box = el("div", "error");
    box.append(el("p", "import-msg", e.message));
    const rows = (e.detail && Array.isArray(e.detail.errors) && e.detail.errors) || [];
    if (rows.length) {
      const wrap = el("div", "table-wrap");
      const table = el("table", "table compact");
      const head = el("tr");
      for (const h of [t("row"), "id", t("message")]) { const th = el("th", null, h); th.scope = "col"; head.append(th); }
      const thead = el("thead"); thead.append(head);
      const tbody = el("tbody");
      for (const r of rows) {
        const tr = el("tr");
        tr.append(el("td", "num", r.row ?? ""), el("td", null, r.id ?? ""), el("td", null, r.message ?? ""));
        tbody.append(tr);
      }
      table.append(thead, tbody); wrap.append(table); box.append(wrap);
    }
    els.importErrors.append(box);
  }
});

for (const b of document.querySelectorAll(".export")) {
  b.addEventListener("click", async () => {
    const format = b.dataset.format;
    els.exportStatus.textContent = t("downloading");
    try {
      const resp = await kb(`/export?format=${encodeURIComponent(format)}`, { raw: true });
      const blob = await resp.blob();
      const url = URL.createObjectURL(blob);
      const a = el("a");
      a.href = url; a.download = `kb.${format}`;
      document.body.append(a); a.click(); a.remove();
      setTimeout(() => URL.revokeObjectURL(url), 10_000);
      els.exportStatus.textContent = t("downloaded", format);
    } catch (e) { els.exportStatus.textContent = e.message; }
  });
}

boot();
