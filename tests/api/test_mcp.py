"""MCP with the SDK's own client: over streamable HTTP under `longdoc serve` (bearer tokens), and over
stdio (`longdoc mcp`, LONGDOC_TOKEN)."""

from __future__ import annotations

import base64
import json

import anyio
import httpx2
import pytest
from mcp import Client, StdioServerParameters
from mcp.client.streamable_http import streamable_http_client

from tests.api.conftest import A_PHRASES, ROOT, cli_env, without_echo

TOOLS = {"search", "ask", "summarize", "compare", "list_documents", "page"}
PNG = b"\x89PNG\r\n\x1a\n"


def _http(api, token: str) -> Client:
    http = httpx2.AsyncClient(headers={"Authorization": f"Bearer {token}"}, timeout=httpx2.Timeout(180.0))
    return Client(streamable_http_client(api.url + "/mcp", http_client=http))


def _data(result) -> dict:
    assert not result.is_error, result.content
    if result.structured_content is not None:
        sc = result.structured_content
        return sc.get("result", sc) if isinstance(sc, dict) and set(sc) == {"result"} else sc
    return json.loads(result.content[0].text)


def _text(result) -> str:
    return " ".join(getattr(c, "text", "") for c in result.content)


def test_mcp_http_acts_as_the_token(api):
    async def main():
        async with _http(api, api.tokens["b_reader"]) as client:
            tools = {t.name for t in (await client.list_tools()).tools}
            assert TOOLS <= tools
            listing = _data(await client.call_tool("list_documents", {}))
            assert listing["matter"] == "beta" and [d["doc_id"] for d in listing["documents"]] == [api.b_doc]
            hits = _data(await client.call_tool("search", {"query": "Dynamex transportation agreement"}))["hits"]
            assert hits and {h["doc_id"] for h in hits} == {api.b_doc}
            ans = _data(await client.call_tool("ask", {"question": "What does the Dynamex agreement say?"}))
            blob = json.dumps(without_echo(ans))
            assert not any(p.lower() in blob.lower() for p in A_PHRASES)
            # another matter: "not found", exactly like one that does not exist
            other = await client.call_tool("list_documents", {"matter": "alpha"})
            missing = await client.call_tool("list_documents", {"matter": "nosuch"})
            assert other.is_error and missing.is_error
            assert _text(other).replace("alpha", "X") == _text(missing).replace("nosuch", "X")
            # the same one line REST answers (after the SDK's "Error executing tool …: "), not a bare refusal
            rest = httpx2.get(api.url + "/v1/matters/alpha/documents",
                              headers={"Authorization": f"Bearer {api.tokens['b_reader']}"}).json()["error"]
            assert _text(other).endswith(": " + rest), (_text(other), rest)
            resources = [str(r.uri) for r in (await client.list_resources()).resources]
            assert resources == [f"longdoc://beta/documents/{api.b_doc}"]
            text = (await client.read_resource(f"longdoc://beta/documents/{api.b_doc}")).contents[0].text
            assert "Harbour Road" in text
            page = (await client.read_resource(f"longdoc://beta/documents/{api.b_doc}/pages/1")).contents[0].text
            assert "Harbour Road" in page
            with pytest.raises(Exception) as e:
                await client.read_resource(f"longdoc://alpha/documents/{api.a_doc}")
            assert "no matter named" in str(e.value)
            # alpha's pages are not beta's to see, as image either: "not found", by matter or by id
            for args in ({"document": api.a_doc, "page": 1, "matter": "alpha"}, {"document": api.a_doc, "page": 1}):
                shot = await client.call_tool("page", args)
                assert shot.is_error and not any(getattr(c, "type", "") == "image" for c in shot.content)
            with pytest.raises(Exception):  # noqa: B017 - the client raises the SDK's own error type, which differs across mcp releases
                await client.read_resource(f"longdoc://alpha/documents/{api.a_doc}/pages/1/image")

        async with _http(api, api.tokens["a_reader"]) as client:
            ans = _data(await client.call_tool("ask", {"question": "Which law governs this agreement?"}))
            assert ans["citations"] and {c["doc_id"] for c in ans["citations"]} == {api.a_doc}
            page = (await client.read_resource(f"longdoc://alpha/documents/{api.a_doc}/pages/1")).contents[0].text
            assert "DYNAMEX" in page.upper()
            # the page a citation points at, as an image: the quote marked, the same page plain otherwise
            words = " ".join(page.split()).split(" ")
            quote = " ".join(words[len(words) // 2: len(words) // 2 + 8])
            marked = await client.call_tool("page", {"document": api.a_doc, "page": 1, "highlight": quote})
            plain = await client.call_tool("page", {"document": api.a_doc, "page": 1})
            assert not marked.is_error and not plain.is_error, (marked.content, plain.content)
            (img, caption), (img0, _) = marked.content, plain.content
            assert img.mime_type == "image/png" and base64.b64decode(img.data).startswith(PNG)
            assert "passage highlighted" in caption.text and "p.1 of 11" in caption.text, caption.text
            assert base64.b64decode(img.data) != base64.b64decode(img0.data)
            missing = await client.call_tool("page", {"document": api.a_doc, "page": 999})
            assert missing.is_error and "999" in _text(missing)
            blob = (await client.read_resource(f"longdoc://alpha/documents/{api.a_doc}/pages/1/image")).contents[0]
            assert blob.mime_type == "image/png" and base64.b64decode(blob.blob) == base64.b64decode(img0.data)

    anyio.run(main)


def test_mcp_http_needs_a_token(api):
    for headers in ({}, {"Authorization": "Bearer ldk_wrong"}):
        r = httpx2.post(api.url + "/mcp", headers={**headers, "Content-Type": "application/json",
                                                   "Accept": "application/json, text/event-stream"},
                        content=b'{"jsonrpc":"2.0","id":1,"method":"tools/list","params":{}}')
        assert r.status_code == 401 and r.json()["error"]


def test_mcp_stdio_with_a_token(api):
    env = cli_env(api.home, LONGDOC_TOKEN=api.tokens["a_reader"])
    params = StdioServerParameters(command=env.get("PYTHON", __import__("sys").executable),
                                   args=["-c", "from app.faces.cli import main; main()", "mcp"], env=env, cwd=str(ROOT))

    async def main():
        async with Client(params) as client:
            assert TOOLS <= {t.name for t in (await client.list_tools()).tools}
            listing = _data(await client.call_tool("list_documents", {}))
            assert listing["matter"] == "alpha" and [d["doc_id"] for d in listing["documents"]] == [api.a_doc]
            hits = _data(await client.call_tool("search", {"query": "governing law", "k": 3}))["hits"]
            assert hits and hits[0]["doc_id"] == api.a_doc
            assert (await client.call_tool("list_documents", {"matter": "beta"})).is_error

    anyio.run(main)
