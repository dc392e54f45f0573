"""A local OpenAI-compatible LLM server with a fake, deterministic agent model.

Tests and benchmarks drive the real engine through real litellm over HTTP against it, and
users rehearse a crew offline with ``python -m desktop_app.simulator``. Stdlib only.

Endpoints (all on 127.0.0.1): ``POST /v1/chat/completions`` (streamed as SSE or not),
``POST /v1/embeddings``, ``GET /v1/models`` (and ``/v1/models/<any name>``), ``GET /health``,
and ``GET /stats`` (the counters of ``Simulator.stats``). Errors use OpenAI's
``{"error": {...}}`` shape. ``base_url`` is ``http://127.0.0.1:PORT/v1``; ``root_url`` is
``http://127.0.0.1:PORT``.

The same model also speaks Anthropic's Messages API, ``POST /v1/messages`` (Anthropic's SSE
events, ``tool_use``/``tool_result`` blocks, its error types; see ``_anthropic``), and Gemini's
``POST <any prefix>/models/<model>:generateContent`` and ``:streamGenerateContent[?alt=sse]``
(see ``_gemini``), with the same scripting and ``sim:`` faults, so ``anthropic/sim:...`` and
``gemini/sim:...`` models pointed at ``root_url`` run natively or through litellm.

Search and scrape endpoints for web tools, on ``root_url`` (see ``_tool_apis``), answered in
each service's own JSON shape, the same results for the same query, each needing its key
(any non-empty value) or answering 401: ``POST /serper/search`` and ``/serper/news``
(``X-API-KEY``), ``POST /tavily/search`` (``Authorization: Bearer`` or ``api_key`` in the
body), ``POST /exa/search`` (``x-api-key``), ``GET /brave/res/v1/web/search?q=``
(``X-Subscription-Token``); and ``GET /web/<any path>``, a small HTML page naming its path,
which the search results link to. ``stats.tool_requests`` counts them by service.

The model:
    * answers ``Answer to: <first line of the last user message>.`` then filler words, up to
      ``tokens`` tokens (one token = one SSE chunk = a word and a space; the echo is never cut);
    * when the request offers ``tools`` and no ``tool`` message follows the last user message,
      calls a tool (tools come first, then the structured answer when one is asked for):
      one with a string parameter ``code`` gets Python computing the mean of the first list
      of numbers in the message (``values = [1, 2]\\nprint(sum(values) / len(values))``),
      otherwise the first tool gets arguments made from its JSON schema
      (a ``coworker`` argument gets the first name that a delegation tool's description
      lists after "coworkers:", so a hierarchical crew's manager delegates for real);
    * follows a script instead when the last user message holds ``sim-call: <tool> {json}``
      directives: one scripted call per reply, in order, then the answer (``sim-call: none``
      answers at once; see ``_script``), so a test can script "delegate to X, ask Y, answer";
    * after a tool result, answers ``Result: <last tool message, stripped, first 500 chars>.``
      then filler;
    * answers structured output requests with JSON that validates (see ``_structured``):
      ``response_format`` ``json_schema`` gets a value of the schema (every property; arrays
      of 1-2 items; strings that name their property and the question's first words, e.g.
      ``"title: Report on tides"``), ``json_object`` gets ``{"answer": "Answer to: ..."}``;
      a ``tool_choice`` that forces a function (instructor's way), or a sole tool that looks
      like an output model, gets a call whose arguments fit that tool's schema, so
      ``output_pydantic`` tasks and CrewAI's planner dry-run; ``tool_choice: "none"`` answers
      in text, ``"required"`` calls a tool even after a result; forcing a function that is
      not offered is a 400;
    * reports usage: prompt tokens = words in all messages, completion tokens = chunks sent.

Model-string grammar (per-request settings; the engine sends ``sim...`` for
``openai/sim...``)::

    model    := "sim" [ ":" setting { "," setting } ]
    setting  := key "=" value          (no spaces; each key at most once)

    ttft=<s>          seconds before the first token (>= 0)
    tps=<n>           tokens per second (> 0)
    tokens=<n>        tokens per reply (>= 1)
    status=<code>     answer with this HTTP error (400..599); 401 reads like a bad API key
    retry_after=<s>   Retry-After header on that error (needs status)
    fail_times=<n>    fail only the first n requests with this exact model string (needs status)
    drop_after=<n>    stream n chunks, then close the connection abruptly (no [DONE]);
                      a non-streamed request gets its connection closed without an answer
    hang=1            accept the request and never answer until the client goes away
    malformed=1       send one chunk of invalid JSON after the first token (non-streamed:
                      a truncated JSON body)
    bytes=<n>         reply of about n bytes, sent in ``tokens`` big pieces
    context=<n>       context window in words: a longer request gets OpenAI's 400
                      ``context_length_exceeded``
    structured=0      ignore ``response_format``, ``tool_choice`` and output-model tools;
                      answer in text, as a model that does not follow JSON schemas (to test
                      format retries)

Embeddings honour ``status``, ``fail_times``, ``retry_after`` and ``hang``; the other settings
shape chat replies only. An embedding is a hashed bag of the text's words (64 dimensions unless
``dimensions`` says otherwise, unit length), so texts that share words have a high cosine. For example ``openai/sim:ttft=0.5,tps=200,tokens=20``, ``openai/sim:status=500,fail_times=2``.
In a ``sim:`` string, unknown keys, bad values and duplicates are answered with HTTP 400 naming
the problem. A provider prefix is allowed (``openai/sim:tokens=5``). Any other model name
(``gpt-4o``, ``anthropic/claude-3-5-sonnet``, ``ollama/llama3:8b``) is answered like plain
``sim`` with the server's defaults, so a real CrewAI project dry-runs whatever models it names.
``max_tokens`` and ``n`` are ignored.

Ways to run it: ``async with Simulator(config) as sim`` in a test's event loop,
``with SimulatorThread(config) as sim`` for synchronous code, ``with SimulatorProcess(config)
as sim`` for benchmarks (the server gets its own process and CPU).
"""

from desktop_app.simulator._config import (
    ModelSettings,
    ModelStringError,
    SimulatorConfig,
    parse_model_string,
)
from desktop_app.simulator._runners import SimulatorProcess, SimulatorThread
from desktop_app.simulator._server import Simulator
from desktop_app.simulator._stats import RecordedRequest, SimulatorStats

__all__ = [
    "ModelSettings",
    "ModelStringError",
    "RecordedRequest",
    "Simulator",
    "SimulatorConfig",
    "SimulatorProcess",
    "SimulatorStats",
    "SimulatorThread",
    "parse_model_string",
]
