"""The offline token estimate stays within 15% of o200k_base, the default model's tokenizer.

These samples were written for this test and were not used to fit the estimate's constants
(those came from other text: man pages, message catalogs, package READMEs, stdlib code), so
the test measures how the estimate generalizes, not how well it remembers.
"""

# ruff: noqa: RUF001 (the samples are Cyrillic, Arabic and CJK text, full-width punctuation included)

from __future__ import annotations

import json
from typing import Any

import pytest

from skillboss_core.catalog.tokens import count_text, token_ids, token_pieces

TOLERANCE = 0.15

ENGLISH_ESSAY = """\
When the old ferry stopped running in the spring of 1987, the village on the far side of the \
estuary did not so much decline as quietly rearrange itself. The baker, who had relied on the \
morning crossing to bring workers from the mill, began opening at ten instead of six and selling \
soup at lunch. The school lost eleven pupils in two years. Children who had once walked down to \
the slipway with their satchels now rode a bus that took forty minutes to go around the head of \
the water, and the parents who could afford it moved inland, closer to the new ring road.

Nobody I spoke to remembered a meeting where this was decided. The ferry company had been losing \
money for a decade, the council had declined to renew its subsidy, and the boat itself, a squat \
green vessel called the Margaret Ellen, needed a new engine that nobody wanted to pay for. What \
people did remember was the last crossing: a wet Thursday, a handful of passengers, and the \
skipper sounding the horn three times as he pulled away, which he had never done before.

Thirty years later the slipway is still there, cracked and furred with weed, and on summer \
evenings teenagers sit on the end of it and dare each other to jump. There is talk, as there is \
every few years, of a passenger service for tourists. A consultant's report estimated that it \
would need eighty thousand crossings a year to break even. The village has a population of just \
under nine hundred.
"""

ENGLISH_EMAIL = """\
Hi Priya,

Thanks for sending over the draft of the migration plan. I read it twice and I think the overall \
approach is sound, but I have a few concerns about the rollout order and one question about the \
rollback procedure.

First, the plan moves the reporting service before the billing service. That makes sense from a \
risk perspective, because reporting is read-only, but it means that for roughly two weeks the \
reports will be reading from the new database while invoices are still being written to the old \
one. Unless the replication lag stays under a minute, finance will see totals that don't match \
what customers were charged. Could we either reverse the order or add a reconciliation check that \
runs every night until both services are on the new cluster?

Second, the rollback section says we can switch traffic back within fifteen minutes, but it \
doesn't mention what happens to rows written to the new database after the cutover. If we roll \
back on day three, are those writes copied back, replayed from the queue, or simply lost? I \
suspect the answer is "replayed", but it should be spelled out, along with who is responsible for \
running the replay and how we verify it worked.

Finally, a small thing: the timeline assumes the load test environment is available in the first \
week of March, and I've heard it's booked for the mobile team's release until the 12th. It might \
be worth checking with Daniel before we commit to dates.

Happy to go through any of this on a call tomorrow afternoon.

Best,
Tom
"""

PYTHON_MODULE = r'''"""Rate limiting for outgoing webhook deliveries.

Each destination host gets its own token bucket, so one slow customer cannot
starve deliveries to everyone else.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from urllib.parse import urlsplit

logger = logging.getLogger(__name__)

DEFAULT_RATE = 5.0  # requests per second
DEFAULT_BURST = 20


@dataclass
class Bucket:
    rate: float
    capacity: int
    tokens: float = field(init=False)
    updated: float = field(default_factory=time.monotonic)

    def __post_init__(self) -> None:
        self.tokens = float(self.capacity)

    def refill(self, now: float) -> None:
        elapsed = max(0.0, now - self.updated)
        self.tokens = min(self.capacity, self.tokens + elapsed * self.rate)
        self.updated = now

    def delay_for(self, cost: float = 1.0) -> float:
        """Seconds to wait before `cost` tokens are available (0 if they are now)."""
        self.refill(time.monotonic())
        self.tokens -= cost
        if self.tokens >= 0:
            return 0.0
        return -self.tokens / self.rate


class HostLimiter:
    def __init__(self, rate: float = DEFAULT_RATE, burst: int = DEFAULT_BURST) -> None:
        self._rate = rate
        self._burst = burst
        self._buckets: dict[str, Bucket] = {}
        self._overrides: dict[str, tuple[float, int]] = {}

    def configure(self, host: str, rate: float, burst: int | None = None) -> None:
        if rate <= 0:
            raise ValueError(f"rate must be positive, got {rate!r}")
        self._overrides[host.lower()] = (rate, burst or self._burst)
        self._buckets.pop(host.lower(), None)

    def _bucket(self, url: str) -> Bucket:
        host = (urlsplit(url).hostname or "").lower()
        bucket = self._buckets.get(host)
        if bucket is None:
            rate, burst = self._overrides.get(host, (self._rate, self._burst))
            bucket = self._buckets[host] = Bucket(rate, burst)
        return bucket

    async def acquire(self, url: str) -> None:
        delay = self._bucket(url).delay_for()
        if delay > 0:
            logger.debug("throttling %s for %.2fs", url, delay)
            await asyncio.sleep(delay)


async def deliver_all(
    limiter: HostLimiter,
    jobs: list[tuple[str, bytes]],
    send: Callable[[str, bytes], Awaitable[None]],
) -> int:
    """Send every job in order; failures are logged and skipped, not retried."""
    delivered = 0
    for url, payload in jobs:
        await limiter.acquire(url)
        try:
            await send(url, payload)
        except OSError as exc:
            logger.warning("delivery to %s failed: %s", url, exc)
            continue
        delivered += 1
    return delivered
'''

TOOLS: list[dict[str, Any]] = [
    {
        "type": "function",
        "function": {
            "name": "search_flights",
            "description": "Find scheduled flights between two airports on a given day, "
            "cheapest first. Use IATA codes; ask the user if the airport is ambiguous.",
            "parameters": {
                "type": "object",
                "properties": {
                    "origin": {"type": "string", "description": "IATA code, e.g. LHR"},
                    "destination": {"type": "string", "description": "IATA code, e.g. JFK"},
                    "date": {"type": "string", "format": "date"},
                    "cabin": {
                        "type": "string",
                        "enum": ["economy", "premium_economy", "business", "first"],
                        "default": "economy",
                    },
                    "passengers": {"type": "integer", "minimum": 1, "maximum": 9},
                    "max_stops": {"type": ["integer", "null"], "minimum": 0},
                },
                "required": ["origin", "destination", "date"],
                "additionalProperties": False,
            },
        },
    },
    {
        "type": "function",
        "function": {
            "name": "get_weather_forecast",
            "description": "Daily weather forecast for a city for up to 10 days ahead.",
            "parameters": {
                "type": "object",
                "properties": {
                    "city": {"type": "string", "description": "City name, optionally with country"},
                    "days": {"type": "integer", "minimum": 1, "maximum": 10, "default": 3},
                    "units": {"type": "string", "enum": ["metric", "imperial"]},
                },
                "required": ["city"],
            },
        },
    },
    {
        "type": "function",
        "function": {
            "name": "create_calendar_event",
            "description": "Create an event in the user's primary calendar and invite attendees. "
            "Times are ISO 8601 with an offset; the event is private unless stated.",
            "parameters": {
                "type": "object",
                "properties": {
                    "title": {"type": "string", "maxLength": 200},
                    "start": {"type": "string", "format": "date-time"},
                    "end": {"type": "string", "format": "date-time"},
                    "location": {"type": "string"},
                    "attendees": {
                        "type": "array",
                        "items": {
                            "type": "object",
                            "properties": {
                                "email": {"type": "string", "format": "email"},
                                "optional": {"type": "boolean", "default": False},
                            },
                            "required": ["email"],
                        },
                    },
                    "reminder_minutes": {"type": "array", "items": {"type": "integer"}},
                    "visibility": {"type": "string", "enum": ["private", "public"]},
                },
                "required": ["title", "start", "end"],
            },
        },
    },
    {
        "type": "function",
        "function": {
            "name": "send_email",
            "description": "Send a plain-text email from the user's account. Always confirm "
            "the recipients and the subject with the user before calling this.",
            "parameters": {
                "type": "object",
                "properties": {
                    "to": {"type": "array", "items": {"type": "string", "format": "email"}},
                    "cc": {"type": "array", "items": {"type": "string", "format": "email"}},
                    "subject": {"type": "string"},
                    "body": {"type": "string"},
                    "reply_to_message_id": {"type": "string"},
                },
                "required": ["to", "subject", "body"],
            },
        },
    },
]

CHINESE_ESSAY = """\
我第一次去成都，是在一个下着小雨的秋天。朋友说，想了解这座城市，不必急着去看什么名胜古迹，\
先找一家老茶馆坐一个下午就够了。于是我们穿过几条窄窄的巷子，走进了一家门口挂着褪色木牌的茶馆。\
屋里摆着十几张竹椅和矮桌，墙上的电扇慢慢地转着，空气里混着茶香和烟味。

茶馆的老板是一位六十多岁的阿姨，她一边招呼客人，一边熟练地往盖碗里冲开水。邻桌的几位老人在打\
麻将，另一边有人在掏耳朵，还有一个年轻人戴着耳机，对着笔记本电脑认真地写着什么。没有人催你离开，\
一碗茶可以续上好几次水，从中午一直喝到傍晚。

朋友告诉我，成都人把这种生活叫作“巴适”，意思是舒服、自在。过去，茶馆是人们谈生意、听评书、打听\
消息的地方；今天，虽然手机和网络改变了很多习惯，可是大家仍然愿意在这里见面聊天。我想，一座城市的\
性格，往往就藏在这些不起眼的日常细节里。

离开的时候，雨已经停了。街边的小摊开始冒出热气，有人在卖钵钵鸡和冰粉，下班的人们骑着电动车从身边\
经过。我回头看了一眼那块旧木牌，心里忽然有些舍不得。
"""

CHINESE_ARTICLE = """\
随着大语言模型在企业中的应用越来越广泛，如何控制调用成本成为许多技术团队必须面对的问题。模型的费用\
通常按照输入和输出的令牌数量计算，而同样一段内容，用不同的语言书写，所需要的令牌数量可能相差很大。\
例如，英文文本平均每个令牌大约包含四个字符，而中文文本往往一个汉字就接近一个令牌。

因此，在设计对话系统时，开发者需要提前估算每轮对话会消耗多少令牌，并据此决定保留多少历史消息。如果\
估算偏低，请求可能会超过模型的上下文窗口，导致调用失败；如果估算偏高，系统又会过早地删除有用的上下文，\
使回答质量下降。

比较稳妥的做法是：在本地使用与模型相同的分词器进行精确计算；如果无法获得分词器，就根据文字类型采用\
经过验证的近似方法，并定期与服务端返回的实际用量进行对比。除此之外，还可以为系统提示词、工具定义和\
检索到的文档分别设置预算，避免某一部分占用过多空间。

最后，团队应当把令牌用量纳入日常监控。通过记录每个功能、每个用户的消耗情况，可以及时发现异常的增长，\
例如某个提示模板被意外地重复拼接，或者检索模块返回了过长的段落。
"""

JAPANESE_ESSAY = """\
先週の土曜日、久しぶりに祖母の家を訪ねた。駅から続く坂道を上っていくと、昔と変わらない古い郵便ポストが\
角に立っていて、少しほっとした。祖母は八十五歳になったが、今でも毎朝六時に起きて庭の手入れをしている。

玄関を開けると、煮物のいい匂いがした。「遠かったでしょう。まずはお茶でも飲みなさい」と言って、祖母は\
湯のみを二つ並べた。縁側に座ってお茶を飲みながら、私たちは近所の人の話や、最近見たテレビ番組の話をした。\
祖母の話はあちこちに飛ぶけれど、聞いているうちに不思議と落ち着いてくる。

午後になると、二人で押し入れの片付けをした。奥のほうから、色あせたアルバムが何冊も出てきた。若いころの\
祖父が自転車の横で笑っている写真や、まだ小さかった母が浴衣を着て花火を見ている写真があった。祖母は一枚\
一枚を手に取り、撮った日のことを驚くほど細かく覚えていた。

帰り際、祖母は庭で採れた柿を紙袋いっぱいに詰めてくれた。「また来なさいね」という声を背中に聞きながら坂を\
下りると、夕日が町全体をオレンジ色に染めていた。次はもっと早く来ようと、心の中で決めた。
"""

JAPANESE_NOTICE = """\
本システムでは、ユーザーからの問い合わせを自動的に分類し、担当部署へ振り分ける機能を提供しています。\
問い合わせの内容は、まず言語モデルによって要約され、その後、事前に定義されたカテゴリの中から最も適切な\
ものが選ばれます。分類の結果に自信が持てない場合は、人間のオペレーターが確認する仕組みになっています。

導入にあたっては、いくつか注意点があります。第一に、個人情報を含むデータを外部のサービスに送信する前に、\
氏名や電話番号などを自動的に伏せ字にする必要があります。第二に、モデルの応答時間は時間帯によって大きく\
変わるため、タイムアウトの設定には余裕を持たせてください。第三に、利用料金はトークン数に応じて計算される\
ので、長い履歴をそのまま送らないよう、古いメッセージを要約するか削除する処理を入れることをおすすめします。

なお、設定ファイルの書き方や管理画面の使い方については、別紙のマニュアルを参照してください。ご不明な点が\
ございましたら、サポート窓口までお気軽にお問い合わせください。
"""

RUSSIAN_ESSAY = """\
Дом, в котором я вырос, стоял на самом краю посёлка, сразу за ним начинался сосновый лес. Летом мы \
с братом уходили туда с утра и возвращались только к ужину, исцарапанные, с полными карманами \
шишек \
и банкой черники, которую обычно съедали по дороге. Мать делала вид, что сердится, но всегда \
оставляла нам на плите кастрюлю гречневой каши с тушёнкой.

Зимой лес становился совсем другим. Снег лежал так высоко, что тропинки исчезали, и отец \
прокладывал \
лыжню, по которой мы потом катались до самых сумерек. Однажды мы заблудились и часа два ходили \
кругами, пока не услышали, как где-то вдалеке лает соседская собака. С тех пор отец каждый раз \
перед \
прогулкой заставлял нас повторять, в какой стороне находится железная дорога.

Сейчас посёлок сильно изменился. На месте старых деревянных домов выросли кирпичные коттеджи с \
высокими заборами, а часть леса вырубили под новую дорогу. Но если свернуть с асфальта и пройти \
минут \
пятнадцать по старой просеке, можно выйти к тому же ручью, где мы когда-то строили запруду из \
камней \
и веток. Вода в нём всё такая же холодная, даже в июле.
"""

RUSSIAN_MEMO = """\
Уважаемые коллеги!

Напоминаем, что с первого числа следующего месяца вступает в силу новый порядок согласования \
командировок. Заявку необходимо подавать через корпоративный портал не позднее чем за десять \
рабочих \
дней до начала поездки. В заявке следует указать цель командировки, предполагаемые даты, место \
проживания и примерную смету расходов.

После подачи заявка автоматически направляется непосредственному руководителю, а затем в \
финансовый \
отдел. Если сумма расходов превышает установленный лимит, потребуется дополнительное \
согласование с \
директором по направлению. Обратите внимание, что билеты и гостиницу теперь бронирует только отдел \
административного обеспечения: самостоятельно приобретённые билеты к возмещению приниматься не \
будут, \
за исключением экстренных случаев.

По возвращении из командировки в течение пяти рабочих дней нужно загрузить на портал авансовый \
отчёт, \
приложив сканы всех чеков и посадочных талонов. Подробная инструкция и ответы на часто задаваемые \
вопросы размещены в разделе «Документы». Если у вас остались вопросы, пишите на адрес службы \
поддержки \
или звоните по внутреннему номеру 2145.
"""

ARABIC_ESSAY = """\
في صباح كل جمعة، كان جدي يأخذني معه إلى السوق القديم في وسط المدينة. كنا نخرج مبكرا قبل أن تشتد \
حرارة الشمس، ونمشي في الأزقة الضيقة التي تفوح منها رائحة القهوة والهيل والخبز الطازج. كان يعرف \
أغلب الباعة بأسمائهم، ويتوقف عند كل دكان ليسأل عن الأحوال ويتبادل الأخبار.

أكثر ما كنت أحبه هو محل العطار في نهاية الشارع. كانت الرفوف مليئة بالبرطمانات الزجاجية الملونة، \
فيها الكمون والقرفة والزعتر وأعشاب لا أعرف أسماءها. وكان العطار رجلا طويلا ذا لحية بيضاء، يحكي لي \
عن البلاد البعيدة التي جاءت منها هذه البضائع، وعن القوافل التي كانت تعبر الصحراء قبل مئات السنين.

اليوم تغير السوق كثيرا. أغلقت بعض المحلات القديمة، وحلت محلها متاجر تبيع الهواتف والملابس \
المستوردة. لكنني ما زلت أذهب إلى هناك كلما زرت المدينة، وأجلس في المقهى نفسه الذي كان يجلس فيه \
جدي، وأطلب فنجان قهوة مرة، وأراقب الناس وهم يمرون. أشعر في تلك اللحظات بأن شيئا منه ما زال حاضرا \
في المكان.
"""

ARABIC_NOTICE = """\
نود إعلامكم بأن الشركة ستطلق الأسبوع المقبل نظاما جديدا لإدارة طلبات الإجازات. سيتمكن كل موظف من \
تقديم طلبه إلكترونيا عبر البوابة الداخلية، ومتابعة حالته خطوة بخطوة دون الحاجة إلى تعبئة النماذج \
الورقية.

يجب تقديم طلب الإجازة السنوية قبل أسبوعين على الأقل من تاريخ بدايتها، أما الإجازات المرضية فيمكن \
تسجيلها في اليوم نفسه، على أن يرفق الموظف التقرير الطبي خلال ثلاثة أيام. وسيقوم النظام بإرسال \
إشعار \
تلقائي إلى المدير المباشر، الذي يتعين عليه الموافقة على الطلب أو رفضه خلال يومي عمل.

ننصح جميع الموظفين بمراجعة رصيد إجازاتهم قبل نهاية الشهر الحالي، والتأكد من صحة البيانات المسجلة. \
وفي حال وجود أي خطأ، يرجى التواصل مع قسم الموارد البشرية في أقرب وقت ممكن. كما سننظم ورشة تدريبية \
قصيرة يوم الثلاثاء القادم في قاعة الاجتماعات الرئيسية لشرح طريقة استخدام النظام والإجابة عن أسئلتكم.
"""

SAMPLES = {
    "english essay": ENGLISH_ESSAY,
    "english email": ENGLISH_EMAIL,
    "python module": PYTHON_MODULE,
    "tool schemas (json.dumps)": json.dumps(TOOLS),
    "tool schemas (indented)": json.dumps(TOOLS, indent=2),
    "tool schemas (compact, as sent)": json.dumps(TOOLS, separators=(",", ":")),
    "chinese essay": CHINESE_ESSAY,
    "chinese article": CHINESE_ARTICLE,
    "japanese essay": JAPANESE_ESSAY,
    "japanese notice": JAPANESE_NOTICE,
    "russian essay": RUSSIAN_ESSAY,
    "russian memo": RUSSIAN_MEMO,
    "arabic essay": ARABIC_ESSAY,
    "arabic notice": ARABIC_NOTICE,
}


@pytest.fixture(scope="module")
def o200k() -> Any:
    """The real tokenizer of the gateway's default model (a dev-only dependency)."""
    bpe_openai = pytest.importorskip("bpe_openai")
    return bpe_openai.get_encoding("o200k_base")


def _off(estimate: int, reference: int) -> float:
    return abs(estimate - reference) / reference


@pytest.mark.parametrize("kind", list(SAMPLES))
def test_estimate_is_within_tolerance_of_o200k(kind: str, o200k: Any) -> None:
    text = SAMPLES[kind]
    reference = len(o200k.encode(text))
    estimate = count_text(text)
    assert _off(estimate, reference) <= TOLERANCE, f"{kind}: {estimate} vs o200k {reference}"


def test_short_texts_match_o200k(o200k: Any) -> None:
    """Single words, numbers and punctuation are where a per-token rule is exact."""
    for text in ("Hello, world!", "What is 2 + 2?", "hi hi", "x = 12345"):
        assert count_text(text) == len(o200k.encode(text)), text


def test_ids_are_stable_and_one_per_estimated_token() -> None:
    for text in SAMPLES.values():
        ids = token_ids(text)
        assert len(ids) == count_text(text) == len(token_pieces(text))
        assert ids == token_ids(text)
    assert token_ids("hi hi") == token_ids("hi") * 2
    assert token_ids("") == [] and count_text("") == 0


def test_pieces_cover_the_text() -> None:
    """Pieces are slices of the text in order (whitespace aside), so ids follow the content."""
    for text in SAMPLES.values():
        joined = "".join(token_pieces(text))
        assert "".join(joined.split()) == "".join(text.split())


def test_a_conversation_through_chat_skillboss_is_within_tolerance(o200k: Any) -> None:
    """The LangChain adapter adds framing and tool definitions around the same text estimate."""
    pytest.importorskip("langchain_core")
    from langchain_core.messages import AIMessage, HumanMessage, SystemMessage, ToolMessage

    from langchain_skillboss import ChatSkillBoss
    from langchain_skillboss.tokens import MESSAGE_OVERHEAD, REPLY_PRIMER

    call_args = {"city": "Chengdu", "days": 3, "units": "metric"}
    result = json.dumps({"forecast": [{"day": "2025-10-04", "high": 22, "low": 16, "rain": 0.7}]})
    messages = [
        SystemMessage(
            "You are a travel assistant. Answer in the user's language, keep answers short, "
            "and use the tools for anything that depends on dates, prices or weather."
        ),
        HumanMessage(CHINESE_ESSAY.split("\n\n")[0] + "\n\n下周去成都，天气怎么样？要带伞吗？"),
        AIMessage("", tool_calls=[{"name": "get_weather_forecast", "args": call_args, "id": "c1"}]),
        ToolMessage(result, tool_call_id="c1"),
        AIMessage("未来三天成都多雨，最高气温二十二度左右，建议带伞，并准备一件薄外套。"),
        HumanMessage(RUSSIAN_MEMO.split("\n\n")[1]),
        AIMessage(ENGLISH_EMAIL.split("\n\n")[2]),
        HumanMessage(JAPANESE_NOTICE.split("\n\n")[1]),
    ]

    def ref(text: str) -> int:
        return len(o200k.encode(text))

    reference = REPLY_PRIMER + ref(json.dumps(TOOLS))
    for message in messages:
        assert isinstance(message.content, str)
        reference += MESSAGE_OVERHEAD + ref(message.content)
    reference += ref("get_weather_forecast") + ref(json.dumps(call_args)) + ref("c1")

    llm = ChatSkillBoss(api_key="sb-unit-secret")
    estimate = llm.get_num_tokens_from_messages(messages, tools=TOOLS)
    assert _off(estimate, reference) <= TOLERANCE, f"{estimate} vs o200k {reference}"
