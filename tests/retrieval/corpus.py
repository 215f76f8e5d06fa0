"""A small labelled corpus: conversations on distinct topics, and queries with known answers.

Queries come in two kinds: ones that share words with their conversation (full text finds them)
and paraphrases that share almost none (only the vectors can). Used by the quality tests and the
retrieval bench.
"""

from __future__ import annotations

from vivim.protocol import CaptureUpsert, ConversationIn, TurnIn

DAY = 86400.0
BASE_TIME = 1_760_000_000.0

# (provider, external_id, title, days before BASE_TIME, [(role, text), ...])
CONVERSATIONS: list[tuple[str, str, str, int, list[tuple[str, str]]]] = [
    (
        "chatgpt",
        "sourdough",
        "Sourdough starter troubleshooting",
        200,
        [
            ("user", "My sourdough starter smells like nail polish remover and isn't rising. What's wrong?"),
            (
                "assistant",
                "An acetone smell means the starter is hungry. Feed it twice a day at a 1:1:1 ratio of "
                "starter, flour and water, keep it around 24-26°C, and discard before each feeding. "
                "Whole rye flour gives the yeast and bacteria more to eat.",
            ),
        ],
    ),
    (
        "claude",
        "nginx-proxy",
        "Reverse proxy for a local web app",
        120,
        [
            ("user", "How do I put nginx in front of my Flask app running on port 5000?"),
            (
                "assistant",
                "Add a server block with `location / { proxy_pass http://127.0.0.1:5000; }` and set "
                "proxy_set_header Host $host and X-Forwarded-For. Reload with `nginx -s reload`. "
                "For TLS, use certbot to obtain a Let's Encrypt certificate.",
            ),
        ],
    ),
    (
        "gemini",
        "tokyo-trip",
        "Two weeks in Japan itinerary",
        30,
        [
            ("user", "Plan a two week trip to Japan in April: Tokyo, Kyoto, Osaka, maybe Hiroshima."),
            (
                "assistant",
                "Days 1-5 Tokyo (Shinjuku, Asakusa, a day trip to Nikko), days 6-9 Kyoto for the "
                "cherry blossoms at the Philosopher's Path, days 10-11 Osaka for street food in "
                "Dotonbori, day 12 Hiroshima and Miyajima. A 14-day JR Pass covers the shinkansen.",
            ),
        ],
    ),
    (
        "chatgpt",
        "pg-index",
        "Slow Postgres query",
        60,
        [
            (
                "user",
                "SELECT * FROM orders WHERE customer_id = 42 ORDER BY created_at DESC takes 3 seconds "
                "on 20 million rows in PostgreSQL.",
            ),
            (
                "assistant",
                "Create a composite index: CREATE INDEX orders_customer_created ON orders "
                "(customer_id, created_at DESC); then run EXPLAIN ANALYZE to confirm an index scan "
                "instead of a sequential scan. VACUUM ANALYZE refreshes planner statistics.",
            ),
        ],
    ),
    (
        "claude",
        "marathon",
        "Marathon training plan",
        400,
        [
            ("user", "I want to run my first marathon in 16 weeks. I currently run 25 km a week."),
            (
                "assistant",
                "Build weekly mileage by about 10% per week, with one long run on weekends growing "
                "from 16 km to 32 km, a cutback week every fourth week, and a three-week taper. "
                "Practice fueling with gels on long runs.",
            ),
        ],
    ),
    (
        "gemini",
        "tomato",
        "Tomato leaves turning yellow",
        90,
        [
            ("user", "The lower leaves on my tomato plants are going yellow with brown spots."),
            (
                "assistant",
                "That pattern is usually early blight, a fungus. Remove affected leaves, water at the "
                "base in the morning, mulch to stop soil splashing, and rotate where you plant "
                "tomatoes next year. Copper fungicide can slow it.",
            ),
        ],
    ),
    (
        "chatgpt",
        "rust-borrow",
        "Rust borrow checker error",
        15,
        [
            ("user", "error[E0502]: cannot borrow `v` as mutable because it is also borrowed as immutable"),
            (
                "assistant",
                "You hold a reference from `v.iter()` or `&v[0]` while calling `v.push()`. Clone the "
                "value you need, or end the immutable borrow before mutating, e.g. collect indices "
                "first and then modify the vector in a second loop.",
            ),
        ],
    ),
    (
        "claude",
        "mortgage",
        "Fixed or variable mortgage",
        250,
        [
            ("user", "Should I choose a fixed-rate or variable-rate mortgage for a 25 year home loan?"),
            (
                "assistant",
                "A fixed rate gives predictable monthly payments; a variable rate is usually cheaper "
                "at first but tracks the central bank's interest rate. If a 2 percentage point rise "
                "would strain your budget, fix the rate.",
            ),
        ],
    ),
    (
        "gemini",
        "cat-litter",
        "Cat not using the litter box",
        45,
        [
            ("user", "My cat suddenly stopped using the litter box and pees on the bathroom rug."),
            (
                "assistant",
                "First rule out a urinary tract infection with a vet visit. Then check the box: scoop "
                "daily, unscented clumping litter, one box per cat plus one, in a quiet spot away "
                "from food. Clean the rug with an enzyme cleaner.",
            ),
        ],
    ),
    (
        "chatgpt",
        "docker-compose",
        "Docker compose networking",
        10,
        [
            (
                "user",
                "My api container can't reach the postgres container, connection refused on localhost:5432.",
            ),
            (
                "assistant",
                "Inside a compose network, localhost is the container itself. Use the service name as "
                "host, e.g. DATABASE_URL=postgres://app@db:5432/app, and add depends_on with a "
                "healthcheck so the api waits until the database accepts connections.",
            ),
        ],
    ),
    (
        "claude",
        "guitar",
        "Learning barre chords",
        300,
        [
            ("user", "Barre chords hurt and buzz. F major is impossible for me."),
            (
                "assistant",
                "Roll your index finger slightly onto its bony side, keep the thumb low behind the neck, "
                "and press just behind the fret. Practice a mini F on the top four strings first; "
                "lower action on the guitar helps too.",
            ),
        ],
    ),
    (
        "gemini",
        "sleep",
        "Falling asleep faster",
        5,
        [
            ("user", "I lie awake for an hour every night before I fall asleep."),
            (
                "assistant",
                "Keep a fixed wake-up time, get daylight in the morning, stop caffeine after noon, keep "
                "the bedroom cool and dark, and if you are awake for more than 20 minutes get up and "
                "read in dim light until drowsy. This is the core of CBT for insomnia.",
            ),
        ],
    ),
    (
        "chatgpt",
        "git-rebase",
        "Undo a bad git rebase",
        70,
        [
            ("user", "I rebased my feature branch and lost three commits. How do I get them back?"),
            (
                "assistant",
                "Run `git reflog` to find the commit your branch pointed to before the rebase, then "
                "`git reset --hard HEAD@{5}` (use the right entry). Nothing is lost until garbage "
                "collection prunes unreachable objects.",
            ),
        ],
    ),
    (
        "claude",
        "resume",
        "Rewriting a resume summary",
        150,
        [
            ("user", "Help me rewrite my CV summary for a senior data analyst position."),
            (
                "assistant",
                "Lead with impact: 'Data analyst with 7 years turning messy sales data into decisions; "
                "built the SQL and Tableau reporting that cut monthly close from 10 days to 3.' "
                "Keep it to three lines and mirror the job posting's keywords.",
            ),
        ],
    ),
    (
        "gemini",
        "solar",
        "Rooftop solar payback",
        20,
        [
            ("user", "Is it worth putting photovoltaic panels on my roof? Electricity costs 0.30 per kWh."),
            (
                "assistant",
                "A 6 kWp system producing about 5,500 kWh a year saves roughly 1,650 a year at that "
                "tariff if you use most of it yourself; at 9,000 installed the payback is about 6 "
                "years. A battery lengthens payback unless export rates are very low.",
            ),
        ],
    ),
    (
        "chatgpt",
        "python-async",
        "asyncio gather vs TaskGroup",
        25,
        [
            (
                "user",
                "In Python, should I use asyncio.gather or asyncio.TaskGroup to run coroutines concurrently?",
            ),
            (
                "assistant",
                "TaskGroup (Python 3.11+) cancels the remaining tasks when one fails and raises an "
                "ExceptionGroup, so errors are never silently lost. gather with return_exceptions "
                "is still handy when you want every result regardless of failures.",
            ),
        ],
    ),
]

# (query, external ids of the relevant conversations, kind)
QUERIES: list[tuple[str, set[str], str]] = [
    ("sourdough starter", {"sourdough"}, "keyword"),
    ("nginx proxy_pass", {"nginx-proxy"}, "keyword"),
    ("JR Pass shinkansen", {"tokyo-trip"}, "keyword"),
    ("composite index postgres", {"pg-index"}, "keyword"),
    ("early blight", {"tomato"}, "keyword"),
    ("E0502 borrow", {"rust-borrow"}, "keyword"),
    ("git reflog", {"git-rebase"}, "keyword"),
    ("TaskGroup", {"python-async"}, "keyword"),
    ("my bread dough fermentation culture smells strange", {"sourdough"}, "paraphrase"),
    ("forward web traffic from a webserver to a backend service", {"nginx-proxy"}, "paraphrase"),
    ("vacation itinerary for cherry blossom season", {"tokyo-trip"}, "paraphrase"),
    ("database lookup is really slow on a big table", {"pg-index"}, "paraphrase"),
    ("getting ready to run 42 kilometers", {"marathon"}, "paraphrase"),
    ("vegetable garden plant disease", {"tomato"}, "paraphrase"),
    ("home loan interest choice", {"mortgage"}, "paraphrase"),
    ("my kitten urinates outside its tray", {"cat-litter"}, "paraphrase"),
    ("containers cannot talk to each other", {"docker-compose"}, "paraphrase"),
    ("fingers hurt when playing guitar chords", {"guitar"}, "paraphrase"),
    ("trouble with insomnia at night", {"sleep"}, "paraphrase"),
    ("recover lost commits", {"git-rebase"}, "paraphrase"),
    ("job application cover profile wording", {"resume"}, "paraphrase"),
    ("are solar panels a good investment", {"solar"}, "paraphrase"),
]


def captures() -> list[CaptureUpsert]:
    result = []
    for provider, external_id, title, days_ago, turns in CONVERSATIONS:
        created = BASE_TIME - days_ago * DAY
        result.append(
            CaptureUpsert(
                conversation=ConversationIn(
                    provider=provider,
                    external_id=external_id,
                    title=title,
                    url=f"https://example.test/{provider}/{external_id}",
                    created_at=created,
                ),
                turns=[
                    TurnIn(
                        key=f"{external_id}-{i}",
                        role=role,
                        position=i,
                        text=text,
                        markdown=text,
                        created_at=created + i * 60,
                    )
                    for i, (role, text) in enumerate(turns)
                ],
                source="import",
            )
        )
    return result
