"""The clients the harness measures, each behind the same four calls.

Every client answers `invoke()` (one short completion, returns its text), `stream(n)`
(consumes an n-chunk stream the way a caller would, touching each chunk's text; returns
the number of characters seen), `ainvoke()` and `tool()` (name and arguments of the canned
tool call, for the sanity check). A client whose package is not importable yet is skipped
with a note, so the harness runs before the adapters land and picks them up when they do.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from typing import Any

MESSAGES: Any = [{"role": "user", "content": "Say hello."}]
DUMMY_KEY = "sk-bench-dummy"
# A model the price data knows, so every answer of ours is priced (a cost estimate per call)
# as users' answers are; the bench gateway answers any id it does not know with a short reply.
SHORT_MODEL = "openai/gpt-5.4-mini"


def model_for(chunks: int) -> str:
    return f"bench/chunks-{chunks}"


class BenchClient:
    """Base: one instance per client; framework objects are built per model id and reused."""

    name = ""
    label = ""
    peer: str | None = None  # the name of the client this one must beat
    family = ""

    def __init__(self, base_url: str) -> None:
        self.base_url = base_url
        self._models: dict[tuple[str, bool], Any] = {}

    def llm(self, model: str, streaming: bool = False) -> Any:
        key = (model, streaming)
        if key not in self._models:
            self._models[key] = self.build(model, streaming)
        return self._models[key]

    def build(self, model: str, streaming: bool) -> Any:
        raise NotImplementedError

    def invoke(self) -> str:
        raise NotImplementedError

    def stream(self, chunks: int) -> int:
        raise NotImplementedError

    async def ainvoke(self) -> str:
        raise NotImplementedError

    def tool(self) -> tuple[str, dict[str, Any]]:
        raise NotImplementedError


class RawSDK(BenchClient):
    """The openai SDK as documented: `client.chat.completions.create`, iterating the stream."""

    name, label, family = "raw", "openai SDK (raw)", "reference"

    def __init__(self, base_url: str) -> None:
        super().__init__(base_url)
        import openai

        self.client = openai.OpenAI(base_url=base_url, api_key=DUMMY_KEY)
        self._openai = openai
        self.aclient: Any = None

    def invoke(self) -> str:
        response = self.client.chat.completions.create(model=SHORT_MODEL, messages=MESSAGES)
        return response.choices[0].message.content or ""

    def stream(self, chunks: int) -> int:
        seen = 0
        for chunk in self.client.chat.completions.create(
            model=model_for(chunks),
            messages=MESSAGES,
            stream=True,
            stream_options={"include_usage": True},
        ):
            if chunk.choices:
                seen += len(chunk.choices[0].delta.content or "")
        return seen

    async def ainvoke(self) -> str:
        if self.aclient is None:
            self.aclient = self._openai.AsyncOpenAI(base_url=self.base_url, api_key=DUMMY_KEY)
        response = await self.aclient.chat.completions.create(model=SHORT_MODEL, messages=MESSAGES)
        return response.choices[0].message.content or ""

    def tool(self) -> tuple[str, dict[str, Any]]:
        response = self.client.chat.completions.create(model="bench/tool", messages=MESSAGES)
        call = response.choices[0].message.tool_calls[0]  # type: ignore[index]
        return call.function.name, json.loads(call.function.arguments)  # type: ignore[union-attr]


def _transport() -> Any:
    """The HTTP library the raw SDK uses here: httpx2 under openai 3, httpx under openai 2."""
    import openai

    if int(openai.__version__.split(".", 1)[0]) >= 3:
        import httpx2  # type: ignore[import-not-found,unused-ignore]

        return httpx2
    import httpx

    return httpx


class WireFloor(BenchClient):
    """The SDK's HTTP library plus json.loads per event: reading the wire with no SDK on top."""

    name, label, family = "floor", "httpx + json (wire floor)", "reference"

    def __init__(self, base_url: str) -> None:
        super().__init__(base_url)
        httpx = _transport()
        self.label = f"{httpx.__name__} + json (wire floor)"
        self._httpx = httpx
        self.url = base_url + "/chat/completions"
        self.headers = {"content-type": "application/json", "authorization": "Bearer x"}
        self.client = httpx.Client()
        self.aclient: Any = None

    def _body(self, model: str, stream: bool = False) -> bytes:
        body: dict[str, Any] = {"model": model, "messages": MESSAGES}
        if stream:
            body["stream"] = True
            body["stream_options"] = {"include_usage": True}
        return json.dumps(body).encode()

    def invoke(self) -> str:
        response = self.client.post(self.url, content=self._body(SHORT_MODEL), headers=self.headers)
        return str(json.loads(response.content)["choices"][0]["message"]["content"])

    def stream(self, chunks: int) -> int:
        seen = 0
        body = self._body(model_for(chunks), stream=True)
        with self.client.stream("POST", self.url, content=body, headers=self.headers) as response:
            rest = b""
            for data in response.iter_bytes():
                *lines, rest = (rest + data).split(b"\n")
                for line in lines:
                    if line.startswith(b"data: ") and line != b"data: [DONE]":
                        choices = json.loads(line[6:])["choices"]
                        if choices:
                            seen += len(choices[0]["delta"].get("content") or "")
        return seen

    async def ainvoke(self) -> str:
        if self.aclient is None:
            self.aclient = self._httpx.AsyncClient(
                limits=self._httpx.Limits(max_connections=200, max_keepalive_connections=100)
            )
        response = await self.aclient.post(
            self.url, content=self._body(SHORT_MODEL), headers=self.headers
        )
        return str(json.loads(response.content)["choices"][0]["message"]["content"])

    def tool(self) -> tuple[str, dict[str, Any]]:
        response = self.client.post(
            self.url, content=self._body("bench/tool"), headers=self.headers
        )
        function = json.loads(response.content)["choices"][0]["message"]["tool_calls"][0]
        return function["function"]["name"], json.loads(function["function"]["arguments"])


class Core(BenchClient):
    """skillboss_core.Gateway directly: the shared core both adapters stand on."""

    name, label, family = "core", "skillboss_core Gateway", "reference"

    def __init__(self, base_url: str) -> None:
        super().__init__(base_url)
        from pydantic import SecretStr

        from skillboss_core import ChatParams, Gateway, GatewaySettings

        self.params = ChatParams
        self.gateway = Gateway(GatewaySettings(api_key=SecretStr(DUMMY_KEY), base_url=base_url))

    def _body(self, model: str, stream: bool) -> dict[str, Any]:
        return self.params.parse({"model": model}).to_body(MESSAGES, stream=stream)

    def invoke(self) -> str:
        return self.gateway.complete(self._body(SHORT_MODEL, False)).content or ""

    def stream(self, chunks: int) -> int:
        seen = 0
        for chunk in self.gateway.stream(self._body(model_for(chunks), True)):
            seen += len(chunk.text)
        return seen

    async def ainvoke(self) -> str:
        return (await self.gateway.acomplete(self._body(SHORT_MODEL, False))).content or ""

    def tool(self) -> tuple[str, dict[str, Any]]:
        call = self.gateway.complete(self._body("bench/tool", False)).tool_calls[0]
        return call.name, call.parsed_arguments()


class _LangChain(BenchClient):
    """invoke / stream / ainvoke on a LangChain chat model."""

    family = "langchain"

    def invoke(self) -> str:
        return str(self.llm(SHORT_MODEL).invoke("Say hello.").content)

    def stream(self, chunks: int) -> int:
        seen = 0
        for chunk in self.llm(model_for(chunks), streaming=True).stream("Say hello."):
            seen += len(chunk.content)
        return seen

    async def ainvoke(self) -> str:
        return str((await self.llm(SHORT_MODEL).ainvoke("Say hello.")).content)

    def tool(self) -> tuple[str, dict[str, Any]]:
        call = self.llm("bench/tool").invoke("Weather in Paris?").tool_calls[0]
        return call["name"], call["args"]


class ChatSkillBossClient(_LangChain):
    name, label, peer = "chat_skillboss", "ChatSkillBoss", "chat_openai"

    def __init__(self, base_url: str) -> None:
        super().__init__(base_url)
        from langchain_skillboss import ChatSkillBoss

        self.cls = ChatSkillBoss

    def build(self, model: str, streaming: bool) -> Any:
        return self.cls(model=model, api_key=DUMMY_KEY, base_url=self.base_url)


class ChatOpenAIClient(_LangChain):
    name, label = "chat_openai", "ChatOpenAI (peer)"

    def __init__(self, base_url: str) -> None:
        super().__init__(base_url)
        from langchain_openai import ChatOpenAI

        self.cls = ChatOpenAI

    def build(self, model: str, streaming: bool) -> Any:
        # stream_usage=True: the same wire as ours (usage is always asked for).
        return self.cls(model=model, api_key=DUMMY_KEY, base_url=self.base_url, stream_usage=True)


class _LlamaIndex(BenchClient):
    """chat / stream_chat / achat on a LlamaIndex LLM."""

    family = "llama_index"

    def __init__(self, base_url: str) -> None:
        super().__init__(base_url)
        from llama_index.core.llms import ChatMessage

        self.messages = [ChatMessage(role="user", content="Say hello.")]

    def invoke(self) -> str:
        return str(self.llm(SHORT_MODEL).chat(self.messages).message.content)

    def stream(self, chunks: int) -> int:
        seen = 0
        for response in self.llm(model_for(chunks), streaming=True).stream_chat(self.messages):
            seen += len(response.delta or "")
        return seen

    async def ainvoke(self) -> str:
        return str((await self.llm(SHORT_MODEL).achat(self.messages)).message.content)

    def tool(self) -> tuple[str, dict[str, Any]]:
        llm = self.llm("bench/tool")
        response = llm.chat(self.messages)
        call = llm.get_tool_calls_from_response(response, error_on_no_tool_call=True)[0]
        return call.tool_name, dict(call.tool_kwargs)


class SkillBossClient(_LlamaIndex):
    name, label, peer = "skillboss", "SkillBoss", "openai_like"

    def __init__(self, base_url: str) -> None:
        super().__init__(base_url)
        from llama_index_skillboss import SkillBoss

        self.cls = SkillBoss

    def build(self, model: str, streaming: bool) -> Any:
        return self.cls(model=model, api_key=DUMMY_KEY, api_base=self.base_url)


class OpenAILikeClient(_LlamaIndex):
    name, label = "openai_like", "OpenAILike (peer)"

    def __init__(self, base_url: str) -> None:
        super().__init__(base_url)
        from llama_index.llms.openai_like import OpenAILike

        self.cls = OpenAILike

    def build(self, model: str, streaming: bool) -> Any:
        # The settings an OpenAILike user needs for a chat gateway; usage in streams is
        # opt-in there, so it is asked for to read the same wire as the others.
        extra = {"stream_options": {"include_usage": True}} if streaming else {}
        return self.cls(
            model=model,
            api_key=DUMMY_KEY,
            api_base=self.base_url,
            is_chat_model=True,
            is_function_calling_model=True,
            context_window=128_000,
            additional_kwargs=extra,
        )


ALL: list[Callable[[str], BenchClient]] = [
    RawSDK,
    WireFloor,
    Core,
    ChatSkillBossClient,
    ChatOpenAIClient,
    SkillBossClient,
    OpenAILikeClient,
]
NAMES = [factory.name for factory in ALL]  # type: ignore[attr-defined]


def build_clients(
    base_url: str, only: set[str] | None = None
) -> tuple[list[BenchClient], list[str]]:
    """The clients that can be built here, and a note for each that cannot."""
    os.environ.setdefault("SKILLBOSS_WHOLESALE_KEY", DUMMY_KEY)
    os.environ["SKILLBOSS_BASE_URL"] = base_url
    clients: list[BenchClient] = []
    notes: list[str] = []
    for factory in ALL:
        name = factory.name  # type: ignore[attr-defined]
        if only and name not in only:
            continue
        try:
            clients.append(factory(base_url))
        except Exception as exc:  # an adapter not written yet, a peer not installed
            notes.append(f"skipped {factory.label}: {type(exc).__name__}: {exc}")  # type: ignore[attr-defined]
    return clients, notes
