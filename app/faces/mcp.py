"""The MCP face: tools search / ask / summarize / compare / review (and review_status / review_cancel /
review_resume) / list_documents / page, documents and pages (text and image) as resources.

Built on the official SDK's MCPServer. Over stdio (`longdoc mcp`) it acts as the local operator on the
chosen matter, or — with LONGDOC_TOKEN set — as that token (its matter, its role). Over streamable HTTP
(`/mcp` under `longdoc serve`) every request carries `Authorization: Bearer <token>` and each call is
checked against it, exactly like the /v1 routes: another matter is "not found".
"""

from __future__ import annotations

import json
import logging

import anyio
from mcp.server.mcpserver import Context, Image, MCPServer
from mcp.server.mcpserver.exceptions import ResourceError, ToolError
from mcp.server.streamable_http_manager import StreamableHTTPASGIApp
from mcp_types import ListResourcesResult, Resource
from starlette.routing import Route

from app.answer import review_jobs
from app.answer.ask import ask as ask_question
from app.answer.compare import compare as compare_documents
from app.answer.pages import page_image, requested_page
from app.answer.passages import page_text, search_passages
from app.answer.summarize import summarize as summarize_documents
from app.config import Settings
from app.faces import present
from app.faces.api.http import error
from app.library import access, matters
from app.library import documents as library

INSTRUCTIONS = (
    "longdoc reads long legal and scientific documents and answers with page citations like [D2 p.14]. "
    "Use list_documents to see what a matter holds, search for passages, ask for a cited answer; "
    "documents and their pages are resources (longdoc://MATTER/documents/DOC_ID[/pages/N[/image]]); "
    "page shows a cited page as an image with the passage highlighted."
)


class _Face:
    """Who the caller is and which settings a call runs with."""

    def __init__(self, settings: Settings, http: bool, principal: access.Principal | None):
        self.settings = settings
        self.http = http
        self.principal = principal  # stdio: fixed for the process

    def who(self, ctx: Context | None) -> access.Principal:
        if not self.http:
            return self.principal or access.LOCAL
        headers = None
        try:
            headers = ctx.headers if ctx is not None else None
        except ValueError:
            headers = None
        return access.token_principal(self.settings, present.bearer_token(headers))

    def default_matter(self, who: access.Principal) -> str:
        return who.single_matter or self.settings.matter

    def scoped(self, ctx: Context | None, matter: str | None, need: str = "reader", kind=ToolError) -> Settings:
        """The caller's settings for `matter`; a refusal is the same one line REST answers (not the SDK's bare
        "Error executing tool …"), as a tool error or (`kind`) a resource error."""
        try:
            who = self.who(ctx)
            return access.authorize(self.settings, who, matter or self.default_matter(who), need)
        except access.AccessError as e:
            _fail(e, kind)


def _fail(e: Exception, kind=ToolError):
    known = present.failure(e)
    if known is None:
        raise kind(present.internal(e).message) from e
    raise kind(known.line) from e


async def _call(fn, *args, kind=ToolError, **kw):
    """Run a use case off the event loop; users' failures become one-line tool errors."""
    try:
        return await anyio.to_thread.run_sync(lambda: fn(*args, **kw))
    except (ToolError, ResourceError):
        raise
    except Exception as e:  # noqa: BLE001 - any failure becomes a tool error through present (a bug names only its kind)
        _fail(e, kind)


class _Server(MCPServer):
    """MCPServer whose resource list also names each document the caller may read."""

    face: _Face

    async def _handle_list_resources(self, ctx, params) -> ListResourcesResult:
        base = await self.list_resources()
        extra: list[Resource] = []
        try:
            who = self.face.who(Context(request_context=ctx, mcp_server=self))
            names = who.matters(self.face.settings)
        except access.AccessError:
            names = []
        for name in names:
            s = matters.for_matter(self.face.settings, name)
            docs = await anyio.to_thread.run_sync(library.list_documents, s)
            for d in docs:
                extra.append(Resource(uri=f"longdoc://{name}/documents/{d.doc_id}", name=d.file,
                                      title=d.title or d.file, mime_type="text/plain",
                                      description=f"{library.page_count(d)} · matter {name} · pages at …/pages/N"))
        return ListResourcesResult(resources=base + extra)


def build(settings: Settings, *, http: bool, principal: access.Principal | None = None) -> MCPServer:
    face = _Face(settings, http, principal)
    server = _Server("longdoc", instructions=INSTRUCTIONS, log_level="WARNING")
    server.face = face

    for h in logging.getLogger().handlers:  # the SDK's root handler would print other libraries' debug lines
        if h.level == logging.NOTSET:
            h.setLevel(logging.WARNING)

    @server.tool()
    async def list_documents(ctx: Context, matter: str | None = None) -> dict:
        """The documents of a matter (default: the token's or the server's matter): id, file, title, pages."""
        s = face.scoped(ctx, matter)
        docs = await _call(library.list_documents, s)
        return {"matter": s.matter, "documents": [library.document_json(d) for d in docs]}

    @server.tool()
    async def search(ctx: Context, query: str, k: int = 10, docs: list[str] | None = None,
                     matter: str | None = None) -> dict:
        """Ranked passages for a query (dense + keyword search fused), with their pages and sections."""
        s = face.scoped(ctx, matter)
        return await _call(search_passages, s, query, docs, k=k)

    @server.tool()
    async def ask(ctx: Context, question: str, docs: list[str] | None = None, budget: int | None = None,
                  thinking: bool = False, matter: str | None = None) -> dict:
        """A cited answer to a question over the matter's documents (or the listed ones)."""
        s = face.scoped(ctx, matter)
        if thinking:
            s = s.replace(thinking=True)
        answer = await _call(ask_question, s, question, docs=docs, budget=budget)
        return answer.to_json()

    @server.tool()
    async def summarize(ctx: Context, docs: list[str] | None = None, style: str = "brief",
                        budget: int | None = None, matter: str | None = None) -> dict:
        """A cited summary (style: brief, legal, scientific or detailed)."""

        s = face.scoped(ctx, matter)
        return (await _call(summarize_documents, s, docs=docs, style=style, budget=budget)).to_json()

    @server.tool()
    async def compare(ctx: Context, docs: list[str] | None = None, aspects: list[str] | None = None,
                      matter: str | None = None) -> dict:
        """Compare documents aspect by aspect (e.g. governing law, term, liability cap): one cited cell each."""

        s = face.scoped(ctx, matter)
        return (await _call(compare_documents, s, docs=docs, aspects=aspects)).to_json()

    @server.tool()
    async def review(ctx: Context, questions: list[str], docs: list[str] | None = None, wait_s: float = 0,
                     matter: str | None = None) -> dict:
        """Review the documents (default all): each question asked of each document, one cited cell each
        (verdict yes/no/unclear, a few words, the evidence with its page). Starts a job and returns its record;
        with wait_s > 0 waits up to that long and returns the table when it is ready (else poll review_status)."""
        s = face.scoped(ctx, matter)
        job = await _call(review_jobs.start, s, questions, docs)
        deadline = anyio.current_time() + min(max(0.0, float(wait_s)), 600.0)
        while not job.finished and anyio.current_time() < deadline:
            await anyio.sleep(0.5)
            job = await _call(review_jobs.get, s, job.id)
        if job.finished and job.state in ("ready", "stopped") and await _call(review_jobs.has_table, s, job.id):
            return {"job": job.as_dict(), **(await _call(review_jobs.table_json, s, job.id))}
        return {"job": job.as_dict()}

    @server.tool()
    async def review_status(ctx: Context, job_id: str, table: bool = True, matter: str | None = None) -> dict:
        """A review's progress (documents done of total, state); its table (as `longdoc review --json`) when ready."""
        s = face.scoped(ctx, matter)
        job = await _call(review_jobs.get, s, job_id)
        if table and job.state in ("ready", "stopped") and await _call(review_jobs.has_table, s, job.id):
            return {"job": job.as_dict(), **(await _call(review_jobs.table_json, s, job.id))}
        return {"job": job.as_dict()}

    @server.tool()
    async def review_cancel(ctx: Context, job_id: str, matter: str | None = None) -> dict:
        """Stop a running review: it ends "stopped" with the cells done so far (review_resume computes the rest)."""
        s = face.scoped(ctx, matter)
        return {"job": (await _call(review_jobs.cancel, s, job_id, 10.0)).as_dict()}

    @server.tool()
    async def review_resume(ctx: Context, job_id: str, matter: str | None = None) -> dict:
        """Start a stopped or failed review again: only its missing cells are computed."""
        s = face.scoped(ctx, matter)
        return {"job": (await _call(review_jobs.resume, s, job_id)).as_dict()}

    @server.resource("longdoc://{matter}/documents", mime_type="application/json")
    async def documents_resource(matter: str, ctx: Context) -> str:
        """The documents of a matter, as JSON."""
        s = _scoped_resource(face, ctx, matter)
        docs = await _call(library.list_documents, s, kind=ResourceError)
        return json.dumps([library.document_json(d) for d in docs], ensure_ascii=False)

    @server.resource("longdoc://{matter}/documents/{doc_id}", mime_type="text/plain")
    async def document_resource(matter: str, doc_id: str, ctx: Context) -> str:
        """A document's full text (cleaned), as the library holds it."""
        s = _scoped_resource(face, ctx, matter)

        def text() -> str:
            doc = library.get_document(s, doc_id)
            return library.get_store(s).document_text(doc.doc_id)

        return await _call(text, kind=ResourceError)

    @server.resource("longdoc://{matter}/documents/{doc_id}/pages/{page}", mime_type="text/plain")
    async def page_resource(matter: str, doc_id: str, page: str, ctx: Context) -> str:
        """One page of a document."""
        s = _scoped_resource(face, ctx, matter)
        if not page.isdigit():
            raise ResourceError(f"'{page}' is not a page number")
        return (await _call(page_text, s, doc_id, int(page), kind=ResourceError))["text"]

    @server.tool()
    async def page(ctx: Context, document: str | None = None, page: int | None = None, label: str | None = None,
                   highlight: str | None = None, citation: str | None = None, docs: list[str] | None = None,
                   width: int = 1200, matter: str | None = None) -> list[Image | str]:
        """A PDF page as an image, a passage highlighted — what a citation points at. `document`: id, id prefix
        or file name; `page`: the PDF page (1-based) or `label`: the number printed on it; `highlight`: a quote
        to mark, or `citation`: a label as answers print it ("D2 p.14", with the `docs` the answer was asked
        over), whose passage is marked. Returns the PNG and a line saying which page it is and what was found."""
        s = face.scoped(ctx, matter)
        img = await _call(requested_page, s, document, page, label=label, highlight=highlight, citation=citation,
                          docs=docs, width=max(200, min(int(width), 4000)))
        marked = ""
        if highlight or citation:
            marked = (f"; passage highlighted ({len(img.boxes)} box{'es' if len(img.boxes) != 1 else ''})" if img.found
                      else "; the passage was not found on this page")
        return [Image(data=img.png, format="png"),
                f"{img.file}, {img.pages_display} of {img.pages} PDF pages, doc_id {img.doc_id}{marked}"]

    @server.resource("longdoc://{matter}/documents/{doc_id}/pages/{page}/image", mime_type="image/png")
    async def page_image_resource(matter: str, doc_id: str, page: str, ctx: Context) -> bytes:
        """One page of a document as a PNG (1200 px wide)."""
        s = _scoped_resource(face, ctx, matter)
        if not page.isdigit():
            raise ResourceError(f"'{page}' is not a page number")

        def png() -> bytes:
            return page_image(s, library.get_document(s, doc_id), int(page)).png

        return await _call(png, kind=ResourceError)

    if http:
        server.streamable_http_app(streamable_http_path="/mcp", host=settings.api_host, json_response=False)
    return server


def _scoped_resource(face: _Face, ctx: Context, matter: str) -> Settings:
    return face.scoped(ctx, matter, kind=ResourceError)


def http_route(server: MCPServer, settings: Settings):
    """The /mcp route for the API app: no MCP session starts without a valid token (401 before the SDK)."""
    class Guarded:  # an ASGI app (a class instance, so Starlette hands it scope/receive/send)
        inner = StreamableHTTPASGIApp(server.session_manager)

        async def __call__(self, scope, receive, send) -> None:
            headers = {k.decode("latin-1"): v.decode("latin-1") for k, v in scope.get("headers", [])}
            try:
                await anyio.to_thread.run_sync(access.token_principal, settings, present.bearer_token(headers))
            except access.AccessError as e:
                known = present.failure(e)
                return await error(known.status, known.line)(scope, receive, send)
            await self.inner(scope, receive, send)

    return Route("/mcp", endpoint=Guarded(), methods=["GET", "POST", "DELETE"])


def stdio_principal(settings: Settings) -> access.Principal:
    """LONGDOC_TOKEN's principal, or the local operator when none is set."""
    if settings.token:
        return access.token_principal(settings, settings.token)
    return access.LOCAL


def run_stdio(settings: Settings) -> None:
    who = stdio_principal(settings)
    server = build(settings, http=False, principal=who)
    server.run("stdio")
