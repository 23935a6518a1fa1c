"""Simplified Chinese for the UI (app/faces/ui/i18n.py): English words → 简体中文, placeholders kept as `{name}`.

Markdown marks (`**`, backticks), command lines, setting names and model names stay as they are.
tests/ui/test_i18n.py checks that every key the UI uses is here and that placeholders match.
"""

from __future__ import annotations

ZH: dict[str, str] = {
    # ---- areas, sidebar --------------------------------------------------------------------------------
    "Area": "功能区",
    "Library": "文档库",
    "Search": "搜索",
    "Ask": "问答",
    "Summaries": "摘要",
    "Compare": "对比",
    "Settings": "设置",
    "Review": "审阅",
    "Documents": "文档",
    "Loading": "加载",
    "Page": "页面",
    "Estimate": "估算",
    "Documents (none = all)": "文档（不选 = 全部）",
    "The documents Search, Ask, Summaries and Compare work on.": "搜索、问答、摘要和对比所使用的文档。",
    "{n} document(s) in matter {matter} · data in `{data}`": "案卷 {matter} 中有 {n} 份文档 · 数据位于 `{data}`",
    "Documents (none = the sidebar selection, or all)": "文档（不选 = 侧栏所选，或全部）",
    "Opening the library…": "正在打开文档库…",
    "Loading the embedder…": "正在加载向量模型…",
    "Loading the tokenizer…": "正在加载分词器…",
    # ---- sign-in --------------------------------------------------------------------------------------
    "Sign in": "登录",
    "Sign out": "退出登录",
    "Sign in with {name}": "通过 {name} 登录",
    "Sign in to open your matters.": "登录以打开您的案卷。",
    "User name": "用户名",
    "Password": "密码",
    "Wrong user name or password.": "用户名或密码错误。",
    "Matter": "案卷",
    "Matter: **{name}**": "案卷：**{name}**",
    "Each matter is a separate library.": "每个案卷都是一个独立的文档库。",
    "No matter is granted to you.": "您尚未获授权访问任何案卷。",
    "Sign-in returns to {url}: open longdoc at [{url}/]({url}/) to sign in.":
        "登录后将返回 {url}：请在 [{url}/]({url}/) 打开 longdoc 再登录。",
    "Sign-in through the identity provider is configured, but this UI was started without it: start it with "
    "`longdoc ui`, which hands the provider's settings to Streamlit.":
        "已配置通过身份提供方登录，但本界面启动时未带上这些设置：请用 `longdoc ui` 启动，它会把身份提供方的设置交给 Streamlit。",
    "Signed in as {email}, but not opened: {reason}.": "已以 {email} 登录，但未能打开：{reason}。",
    "The identity provider did not vouch for an e-mail address (no `email` claim, or one it marks unverified), so "
    "longdoc cannot tell whose matters to open. Ask your administrator.":
        "身份提供方未确认电子邮件地址（没有 `email` 声明，或标记为未验证），longdoc 无法判断应打开谁的案卷。请联系管理员。",
    "Signed in as {email}, but no matter is granted to you. Ask an administrator to run "
    "`longdoc user add {email} --matter NAME --role reader --sso`.":
        "已以 {email} 登录，但您尚未获授权访问任何案卷。请管理员运行 "
        "`longdoc user add {email} --matter NAME --role reader --sso`。",
    "reader": "读者",
    "editor": "编辑者",
    "admin": "管理员",
    # ---- library --------------------------------------------------------------------------------------
    "Add PDFs (also {kinds}) — up to {mb} MB each": "添加 PDF（也可以是 {kinds}）— 每个文件不超过 {mb} MB",
    "Read-only: your role on matter {matter} is {role}.": "只读：您在案卷 {matter} 中的角色是 {role}。",
    "Ingest jobs": "导入任务",
    "{n} running": "{n} 个进行中",
    "queued": "排队中",
    "parsing": "解析中",
    "computing vectors": "正在计算向量",
    "ingested": "已导入",
    "replaced the earlier version": "已替换旧版本",
    "already in the library, unchanged": "已在文档库中，未变化",
    "needs a password": "需要密码",
    "no text layer": "没有文本层",
    "unreadable": "无法读取",
    "refused": "已拒绝",
    "duplicate of": "重复于",
    "(same bytes, skipped)": "（内容相同，已跳过）",
    "{pages} pages, {chunks} chunks": "{pages} 页，{chunks} 个分块",
    "Password for {file}": "{file} 的密码",
    "Retry": "重试",
    "{file}: the uploaded copy is gone; upload the file again": "{file}：上传的副本已不存在，请重新上传该文件",
    "Documents ({n})": "文档（{n}）",
    "The library is empty: upload PDFs above (or run `longdoc ingest FOLDER`).":
        "文档库为空：请在上方上传 PDF（或运行 `longdoc ingest FOLDER`）。",
    "Filter": "筛选",
    "title, party, author, court, case no., date, file…": "标题、当事人、作者、法院、案号、日期、文件…",
    "Type": "类型",
    "Sort by": "排序",
    "Desc.": "降序",
    "file name": "文件名",
    "title": "标题",
    "date": "日期",
    "ingested at": "导入时间",
    "pages": "页数",
    "type": "类型",
    "{n} of {total} documents match": "{total} 份文档中有 {n} 份符合",
    "No document matches these filters.": "没有符合这些筛选条件的文档。",
    "Title / file": "标题 / 文件",
    "Type · parties / authors": "类型 · 当事人 / 作者",
    "Date": "日期",
    "Pages": "页数",
    "Chunks": "分块",
    "Ingested": "导入时间",
    "vectors pending": "向量待计算",
    "Delete {file} and all its chunks (asks first; restorable)": "删除 {file} 及其全部分块（会先确认；可恢复）",
    "Delete **{file}** and all its chunks? It stays restorable under Recently deleted for {days} days.":
        "删除 **{file}** 及其全部分块？{days} 天内可在“最近删除”中恢复。",
    "Delete": "删除",
    "Cancel": "取消",
    "Deleted {file}": "已删除 {file}",
    "it can be restored under Recently deleted": "可在“最近删除”中恢复",
    "Recently deleted ({n})": "最近删除（{n}）",
    "Deleted documents are kept {days} days; restoring ingests the file again.":
        "已删除的文档保留 {days} 天；恢复时会重新导入该文件。",
    "Restore": "恢复",
    "Restoring {file}: it is ingested again from its kept copy": "正在恢复 {file}：将从保留的副本重新导入",
    "Page (of {pages})": "页码（共 {pages} 页）",
    # ---- search ---------------------------------------------------------------------------------------
    "The library is empty: add documents in Library first.": "文档库为空：请先在“文档库”中添加文档。",
    "Search the documents": "搜索文档",
    "e.g. governing law": "例如：适用法律",
    "Domain": "领域",
    "Results": "结果数",
    "Only these documents (default: the sidebar selection, or all)": "仅这些文档（默认：侧栏所选，或全部）",
    "{n} passages from {docs} of {total} document(s)": "来自 {total} 份文档中 {docs} 份的 {n} 个段落",
    "Nothing relevant found in the chosen documents.": "在所选文档中没有找到相关内容。",
    "score": "得分",
    "Open the page ({pages})": "打开页面（{pages}）",
    "Open {pages} in context": "在上下文中打开 {pages}",
    # ---- ask ------------------------------------------------------------------------------------------
    "**Extractive mode** — no model is configured, so answers are the best-supported sentences quoted "
    "from your documents, each with its page citation; nothing is generated. Choose a model in Settings.":
        "**摘录模式** — 未配置模型，因此答案是从您的文档中引用的最有依据的句子，每句都附页码引用；不生成任何内容。"
        "请在“设置”中选择模型。",
    "Answering with {backend} · {model} (context window {window} tokens)":
        "使用 {backend} · {model} 回答（上下文窗口 {window} 个 token）",
    "New conversation": "新对话",
    "Over {n} selected document(s) — choose in the sidebar.": "基于所选的 {n} 份文档 — 在侧栏中选择。",
    "Over all documents — choose in the sidebar.": "基于全部文档 — 在侧栏中选择。",
    "Ask about the documents…": "就文档提问…",
    "Reading…": "正在阅读…",
    "Searched for: {query}": "检索内容：{query}",
    "Reasoning": "推理过程",
    "The answer is incomplete (finish reason: {reason}).": "答案不完整（结束原因：{reason}）。",
    "cut off": "被截断",
    "{n} sentence(s) are not backed by the passages they cite.": "有 {n} 句话没有得到其所引段落的支持。",
    "{share} of cited sentences verified": "{share} 的引用句已核验",
    "Coverage: which pages were read": "覆盖范围：读取了哪些页",
    " (whole document)": "（全文）",
    "pages {read} of {total} · {tokens} tokens": "共 {total} 页中的第 {read} 页 · {tokens} 个 token",
    "not in context: {pages}": "未进入上下文：{pages}",
    "its vectors are still being computed: found by keyword search only": "其向量仍在计算中：目前只能通过关键词搜索找到",
    "not verified: check the passage": "未核验：请查看该段落",
    "Cost of the next question (before sending)": "下一个问题的费用（发送前）",
    "No estimate available.": "暂无估算。",
    "Next call: about {prompt} prompt tokens (context {packed} of a {budget} budget; ~{hit} at the cache-hit "
    "price, ~{miss} at the miss price{cached}) + a {answer}-token answer → ":
        "下一次调用：约 {prompt} 个提示 token（上下文 {packed}，预算 {budget}；约 {hit} 按缓存命中价，约 {miss} 按未命中价"
        "{cached}）+ {answer} 个 token 的回答 → ",
    ", prefix likely cached": "，前缀很可能已缓存",
    " at the {window} rate": "（{window}费率）",
    "{cost} at the {window} rate": "{window}费率下为 {cost}",
    "on": "，使用",
    "thinking on": "已开启思考",
    "(at most {cost} if the whole output room of {tokens} tokens were used)": "（若用满 {tokens} 个 token 的输出空间，最多 {cost}）",
    "peak": "高峰",
    "off-peak": "低谷",
    # ---- page view ------------------------------------------------------------------------------------
    "Nothing to show.": "没有可显示的内容。",
    "page {page} of {n}": "第 {page} 页，共 {n} 页",
    "◀ Previous": "◀ 上一页",
    "Next ▶": "下一页 ▶",
    "Zoom": "缩放",
    "Fit": "适应",
    "Download PDF": "下载 PDF",
    "The page cannot be shown as an image: {reason}. Here is its text.": "无法以图像显示该页：{reason}。以下是其文本。",
    "The passage could not be located on this page's image: check its text below.": "未能在本页图像中定位该段落：请查看下方文本。",
    "The passage does not continue on this page.": "该段落未延续到本页。",
    "The passage continues on the next page (Next ▶).": "该段落在下一页继续（下一页 ▶）。",
    "Passage text": "段落文本",
    "No text was read from this page.": "本页未读取到文本。",
    "Go to the highlighted passage ↓": "转到高亮段落 ↓",
    # ---- summaries ------------------------------------------------------------------------------------
    "Style": "风格",
    "brief": "简要",
    "legal": "法律",
    "scientific": "科研",
    "detailed": "详细",
    "Summarize": "生成摘要",
    "Summarizing…": "正在生成摘要…",
    "working": "处理中",
    "Summarizing: {label} ({done}/{total})": "正在生成摘要：{label}（{done}/{total}）",
    "Append each cited page, the passage highlighted, to the DOCX and PDF downloads":
        "在 DOCX 和 PDF 下载中附上每个被引用的页面（高亮所引段落）",
    "Drawing the cited pages…": "正在绘制被引用的页面…",
    "Extractive summary (no model configured): central sentences quoted from the documents.":
        "摘录式摘要（未配置模型）：引用文档中的核心句子。",
    "Download {format}": "下载 {format}",
    # ---- compare --------------------------------------------------------------------------------------
    "Aspects, comma-separated (empty = the default set for the documents' domain)": "对比要点，以逗号分隔（留空 = 该领域的默认要点）",
    "governing law, term, termination, liability cap": "适用法律, 期限, 终止, 责任上限",
    "Comparing {n} documents…": "正在对比 {n} 份文档…",
    "Comparing: {stage} {doc} ({done}/{total})": "正在对比：{stage} {doc}（{done}/{total}）",
    "Extractive comparison (no model configured): each cell quotes the best-matching clause.":
        "摘录式对比（未配置模型）：每个单元格引用最匹配的条款。",
    "aspect": "要点",
    "not found": "未找到",
    # ---- settings -------------------------------------------------------------------------------------
    "Language": "语言",
    "The language of this session's labels, messages and help (LONGDOC_LANG sets the default). Text from "
    "documents is always shown as written.":
        "本会话中标签、消息和帮助所用的语言（默认值由 LONGDOC_LANG 设定）。文档中的文字始终按原文显示。",
    "Settings applied to this session.": "设置已应用于本会话。",
    "The API key was saved to {path} (readable only by you).": "API 密钥已保存到 {path}（仅您可读）。",
    "The API key was removed from this session.": "已从本会话中移除 API 密钥。",
    "Model: **{backend} · {model}** — context window {window} tokens, output up to {output}; thinking: {think}.":
        "模型：**{backend} · {model}** — 上下文窗口 {window} 个 token，输出最多 {output} 个；思考：{think}。",
    "a request switch": "请求开关",
    "a twin model name": "孪生模型名",
    "the server's chat template": "服务器的对话模板",
    "not available": "不可用",
    "No model configured": "未配置模型",
    "Model": "模型",
    "Backend": "后端",
    "No model: extractive answers and summaries, quoted from the documents.": "无模型：摘录式回答和摘要，引用自文档。",
    "DeepSeek's API (https://api.deepseek.com): deepseek-flash (default, 1M window) or deepseek-v4-pro; "
    "thinking is a switch on the same model.":
        "DeepSeek 的 API（https://api.deepseek.com）：deepseek-flash（默认，1M 窗口）或 deepseek-v4-pro；思考是同一模型上的开关。",
    "Any OpenAI-compatible server: CometAPI (https://api.cometapi.com/v1), vLLM, SGLang, llama.cpp, Ollama.":
        "任何兼容 OpenAI 的服务器：CometAPI（https://api.cometapi.com/v1）、vLLM、SGLang、llama.cpp、Ollama。",
    "An Anthropic-style /v1/messages endpoint (e.g. https://api.deepseek.com/anthropic).":
        "Anthropic 风格的 /v1/messages 端点（例如 https://api.deepseek.com/anthropic）。",
    "A local model directory run in-process on your GPU.": "在本进程中用您的 GPU 运行的本地模型目录。",
    "deepseek-flash (default), deepseek-v4-pro, deepseek-v3.2-exp (CometAPI)…":
        "deepseek-flash（默认）、deepseek-v4-pro、deepseek-v3.2-exp（CometAPI）…",
    "DeepSeek today: {current} · retired: {retired} (model/catalog.json)": "DeepSeek 当前：{current} · 已停用：{retired}（model/catalog.json）",
    "Base URL": "基础 URL",
    "API key": "API 密钥",
    "•••••• (a key is set)": "••••••（已设置密钥）",
    "paste a key": "粘贴密钥",
    "Kept in this session's memory; never shown again.": "仅保存在本会话的内存中；不会再次显示。",
    "Also save the key to {file} in the working directory (mode 0600), so the CLI and later sessions use it":
        "同时将密钥保存到工作目录下的 {file}（权限 0600），供命令行和之后的会话使用",
    "Thinking mode (reasoning shown in a collapsed box; off = sent off explicitly, since DeepSeek V4 thinks by "
    "default and bills the reasoning)":
        "思考模式（推理显示在折叠框中；关闭时会明确发送关闭，因为 DeepSeek V4 默认思考并对推理计费）",
    "Thinking effort": "思考力度",
    "low | high | max where the model takes an effort (DeepSeek V4: default high).":
        "模型支持时可选 low | high | max（DeepSeek V4：默认 high）。",
    "default": "默认",
    "Apply": "应用",
    "Forget the API key for this session": "在本会话中忘记 API 密钥",
    "Check the endpoint (lists the served models)": "检查端点（列出所提供的模型）",
    "The endpoint serves: {served}.": "该端点提供：{served}。",
    "none": "无",
    "**{model}** is not among them: choose one of these as the model.": "**{model}** 不在其中：请从中选择一个作为模型。",
    "Could not list the served models: {error}": "无法列出所提供的模型：{error}",
    "Context budget": "上下文预算",
    "Tokens of document text per question": "每个问题的文档文本 token 数",
    "Up to the model's window ({window}) minus room for the answer and the prompt.": "最多为模型窗口（{window}）减去回答和提示所需的空间。",
    "Cost of the next call": "下一次调用的费用",
    "({window} rate)": "（{window}费率）",
    "A question that fills the budget sends about **{prompt}** prompt tokens; with a **{answer}**-token answer it "
    "costs **{cost}**{rate}, or **{cached}** when the documents' prefix is cached (same documents as the last call).":
        "用满预算的问题约发送 **{prompt}** 个提示 token；加上 **{answer}** 个 token 的回答，费用为 **{cost}**{rate}；"
        "若文档前缀已缓存（与上次调用的文档相同），则为 **{cached}**。",
    "At the {window} rate: **{cost}**, or **{cached}** cached.": "{window}费率下：**{cost}**，缓存时 **{cached}**。",
    "input {miss} (cache hit {hit}), output {out}": "输入 {miss}（缓存命中 {hit}），输出 {out}",
    "Prices now per 1M tokens: {rates}": "当前每 100 万 token 价格：{rates}",
    "at the {window} rate: {rates}": "{window}费率：{rates}",
    "The price of this model is unknown (costs show as 'price unknown'): add it with LONGDOC_CATALOG_FILE.":
        "该模型的价格未知（费用显示为“price unknown”）：请用 LONGDOC_CATALOG_FILE 添加。",
    "The Ask area shows the exact estimate for the next question before you send it.": "“问答”区会在您发送前显示下一个问题的准确估算。",
    "Extractive answers cost nothing: no model is called.": "摘录式回答不产生费用：不调用任何模型。",
    "Data": "数据",
    "Library: `{data}` (matter {matter}) · embedder: `{embedder}` · uploads: `{uploads}` (up to {mb} MB per file)":
        "文档库：`{data}`（案卷 {matter}）· 向量模型：`{embedder}` · 上传：`{uploads}`（每个文件不超过 {mb} MB）",
    # ---- failures: the presenter's fixed words (app/faces/present.py) and errors' hints -------------------
    "disk full: a write failed (no space left on the device)": "磁盘已满：写入失败（设备上没有剩余空间）",
    "model call failed: {message}": "模型调用失败：{message}",
    "internal error ({kind})": "内部错误（{kind}）",
    "check LONGDOC_API_KEY / DEEPSEEK_API_KEY (`longdoc doctor`), or unset LONGDOC_BACKEND to answer extractively":
        "请检查 LONGDOC_API_KEY / DEEPSEEK_API_KEY（`longdoc doctor`），或取消设置 LONGDOC_BACKEND 以摘录方式回答",
    "top up the account balance, or unset LONGDOC_BACKEND to answer extractively":
        "请为账户充值，或取消设置 LONGDOC_BACKEND 以摘录方式回答",
    "wait a minute and retry": "请稍等一分钟后重试",
    "the provider is overloaded or failing: retry later": "服务提供方过载或出错：请稍后重试",
    "check LONGDOC_BASE_URL and the network": "请检查 LONGDOC_BASE_URL 和网络",
    "retry, or raise LONGDOC_TIMEOUT_S": "请重试，或调高 LONGDOC_TIMEOUT_S",
    "the server refused the request as sent; `longdoc doctor` shows the model's limits":
        "服务器拒绝了所发送的请求；`longdoc doctor` 会显示模型的限制",
    "the answer was cut off; what arrived is shown": "答案被截断；已显示收到的部分",
    "the prompt exceeds what the server accepts: lower --budget (or LONGDOC_BUDGET)":
        "提示超出服务器可接受的长度：请调低 --budget（或 LONGDOC_BUDGET）",
    "retry, or unset LONGDOC_BACKEND to answer extractively": "请重试，或取消设置 LONGDOC_BACKEND 以摘录方式回答",
    "see `longdoc matter list`": "参见 `longdoc matter list`",
    "see `longdoc docs`": "参见 `longdoc docs`",
    "free space with `longdoc storage purge`, or remove documents": "用 `longdoc storage purge` 释放空间，或删除文档",
    "free space (`longdoc storage purge`, remove documents) or move LONGDOC_HOME to a larger disk":
        "释放空间（`longdoc storage purge`、删除文档），或将 LONGDOC_HOME 移到更大的磁盘",
    "add documents with `longdoc ingest PATH`": "用 `longdoc ingest PATH` 添加文档",
}
