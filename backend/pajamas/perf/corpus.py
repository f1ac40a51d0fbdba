"""A synthetic chat corpus for the memory benchmarks, made from word lists: nothing to download.

Like LoCoMo's (which may not ship): two friends talk in sessions days or weeks apart, each turn
"[8 May, 2023] Maya: text" of 9 to 45 words on people, places, pets, jobs, hobbies, food and
numbers, each speaker's family, pet, town and job coming back; each turn has a question about
it in other words.  The same seed gives the same texts.
"""

from __future__ import annotations

import random
import re
from collections.abc import Iterator
from datetime import date, timedelta
from typing import Final, NamedTuple

SEED: Final = 2023
TURNS: Final = 5_882  # LoCoMo's count: sizes and rounds as in the figures measured on it
_AN: Final = re.compile(r"\b([Aa]) (?=[aeiouAEIOU])")
_CHOICE: Final = re.compile(r"\[([^][]*\|[^][]*)\]")
WORDS: Final[dict[str, list[str]]] = {key: text.split("|") for key, text in {
    "month": "January|February|March|April|May|June|July|August|September|October|November|"
    "December",
    "weekday": "Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday",
    "num": "2|3|4|5|6|8|10|12|15|20|40", "money": "35|80|120|250|420|650|900|1200|1850|2400",
    "hour": "6:30 pm|7 pm|7:15 pm|8 pm|8:30 pm|9:45 pm|noon|10 am|half past five",
    "name": "Maya|Caroline|Jonas|Priya|Mateo|Aisha|Gareth|Lena|Tomasz|Yuki|Nadia|Oscar|Ingrid|"
    "Kwame|Sofia|Rafael|Hannah|Dmitri|Amara|Felix|Chloe|Bruno|Leila|Emeka|Greta|Hugo|Isabel|"
    "Joel|Keiko|Lucas|Marta|Nikhil|Olivia|Pablo|Rosa|Stefan|Tara|Umar|Vera|Wes|Zainab|Theo|"
    "Mirela|Anders|Bea|Callum|Dalia|Esteban|Fatima|Gus|Hiro|Imani|Jack|Kasia|Lorenzo|Mei",
    "rel": "sister|brother|cousin|aunt|uncle|grandmother|grandfather|neighbour|roommate|boss|"
    "niece|nephew|best friend|mentor|coworker|stepdad|godmother|landlord|sister-in-law",
    "pet": "dog|cat|parrot|rabbit|hamster|tortoise|goldfish|puppy|kitten|gecko|ferret|pony",
    "petname": "Biscuit|Luna|Pepper|Mochi|Rocket|Olive|Ziggy|Nacho|Clover|Bean|Waffles|Juniper|"
    "Pickles|Sherlock|Marble|Taco|Pumpkin|Noodle",
    "city": "Lisbon|Denver|Kyoto|Melbourne|Toronto|Nairobi|Glasgow|Austin|Porto|Seoul|Oslo|"
    "Boston|Valencia|Krakow|Portland|Edinburgh|Cape Town|Montreal|Dublin|Vancouver|Marrakesh|"
    "Hanoi|Reykjavik|Santiago|Tbilisi|Helsinki|Lima|Auckland|Naples|Budapest",
    "place": "the farmers market|Riverside Park|the climbing gym|the public library|a tiny "
    "ramen bar|the botanical garden|the lake|the community centre|the art museum|a jazz club "
    "downtown|the old cinema|the beach|the hospital|the dog park|the bakery on Elm Street|the "
    "night market|the science museum|a mountain cabin|the pottery studio|the football stadium|"
    "the campsite|a vineyard|the harbour|the flea market|my grandma's farm|the aquarium|the "
    "skate park|the bookstore café|the recycling centre|the ice rink|the observatory|a karaoke "
    "bar|the zoo|the food bank|the waterfall trail|the town hall|the swimming pool",
    "activity": "pottery|salsa dancing|rock climbing|watercolour painting|running|baking "
    "sourdough|knitting|birdwatching|playing guitar|swimming|photography|chess|gardening|yoga|"
    "kayaking|learning Spanish|volunteering|woodworking|cycling|writing poetry|camping|singing "
    "in a choir|skateboarding|fishing|calligraphy|surfing|beekeeping|archery|stand-up comedy|"
    "sculpting|embroidery|tennis|bouldering|origami|drumming|fencing",
    "food": "tacos|pho|lasagna|dumplings|curry|pancakes|sushi|paella|banana bread|chili|"
    "falafel|apple pie|ramen|pizza|lemon cake|empanadas|risotto|shakshuka|goulash|kimchi "
    "stew|pierogi|jollof rice|moussaka|cinnamon rolls|gumbo|tiramisu|biryani|ceviche",
    "thing": "bike|camera|laptop|guitar|tent|sewing machine|telescope|kayak|desk|record "
    "player|sofa|car|easel|keyboard|backpack|drone|espresso machine|bookshelf|violin|"
    "microscope|hammock|typewriter|lawnmower|canoe|projector|treadmill|sketchbook|piano",
    "adj": "secondhand|vintage|shiny|tiny|huge|bright red|handmade|cheap|fancy|old|brand "
    "new|wooden|lovely|noisy|cozy|weird|gorgeous|rusty|foldable|electric|turquoise|sturdy",
    "job": "nurse|teacher|software engineer|chef|librarian|electrician|graphic designer|"
    "accountant|vet|social worker|barista|architect|paramedic|journalist|counsellor|"
    "firefighter|pharmacist|plumber|translator|dentist|florist|mechanic|lawyer|pilot",
    "book": "The Quiet Harbour|Salt and Stars|A Year of Small Things|The Glass Orchard|"
    "Northern Lights|Ten Thousand Doors|The Midnight Garden|Rivers of Home|Paper Moons|The "
    "Lighthouse Keeper|Wild Geese|Letters from Lagos|The Clockmaker's Daughter|Borrowed Time",
    "feeling": "nervous|thrilled|exhausted|proud|relieved|grateful|anxious|hopeful|calm|"
    "overwhelmed|excited|homesick|inspired|frustrated|lonely|content",
    "open": "Wow, that's great news!|Oh no, I'm so sorry.|Haha, that's hilarious.|Hey, long "
    "time no see!|Honestly, same here.|That sounds amazing.|Congrats!|No way!|Good to hear from "
    "you.|Aw, that's sweet.|Totally agree.|Ugh, I know the feeling.|Thanks for asking!|Sounds "
    "fun.|Right?|Hmm, interesting.|Yeah, it was a lot.|Hi!|Oh wow.|Ha, classic.|Morning!|"
    "Sorry for the late reply.|Guess what?|You won't believe this.|Yay!|Good evening!",
    "aside": "The weather was perfect, sunny with a light breeze.|Traffic on the bridge was a "
    "nightmare though.|My phone died halfway, of course.|It rained the whole afternoon.|I laughed "
    "so hard my cheeks hurt.|The kids loved every minute of it.|Everyone was so "
    "welcoming.|Honestly I needed the break.|I forgot my umbrella, naturally.|We stayed out until "
    "midnight.|The place smelled like fresh coffee and cedar.|My knees are still sore.|Mum keeps "
    "asking for photos.|It was cheaper than I expected.|I almost cancelled, glad I didn't.|The "
    "snow made everything quiet and magical.|A stranger even helped us carry everything.|Slowly "
    "but surely, right?|My sister says I'm obsessed, she's probably right.|Parking cost more than "
    "the tickets.|I tripped on the stairs in front of everybody.|Budget's tight, but worth it.",
    "follow": "Have you ever been to {place3}?|How are things at work these days?|We should "
    "grab {food3} together sometime.|Did you end up buying that {thing3}?|It took about {num3} "
    "hours in total.|Honestly it was worth every cent.|What have you been up to lately?|Maybe "
    "I'll try {activity3} next.|My {rel} says hi, by the way.|Let me know when you're in {city3} "
    "again!|I'll send you a photo of it later.|Any plans for {month3}?|{aside}|{aside2}|Are you "
    "still doing {activity3} on weekends?|I can't believe it's been {num3} weeks.",
}.items()}
# (a statement, a question about it in other words): {city} from WORDS, {city2} another, [a|b].
PAIRS: Final = tuple(tuple(pair.split(" / ")) for pair in (
    "I [finally signed up for|just joined|talked myself into] a {activity} class at {place}, "
    "[it meets every|we go each|there's a session every] {weekday}. / Which class did {speaker} "
    "join at {place}?",
    "My {rel} {name} [just got|landed|was offered] a job as a {job2} in {city2}, [starting in|"
    "from] {month}. / Where will {speaker}'s {rel} {name} work?",
    "{petname} [got into the trash again|raided the kitchen|was a menace last night] and ate "
    "[half a tray of|all the|a whole plate of] {food}. / What did {speaker}'s {pet} steal?",
    "We drove {num} hours to {city2} [last weekend|on {weekday}|over the holidays] just to see "
    "my {rel}. / How long did {speaker} drive to visit family in {city2}?",
    "I bought a {adj} {thing} for {money} dollars from [someone called|a seller named|my friend] "
    "{name}. / How much did {speaker} pay {name} for the {thing}?",
    "[Work has been rough|What a month|I'm so tired], I covered {num} extra shifts [as a {job}|at "
    "work] [this month|since {month}]. / How many extra shifts did {speaker} take?",
    "I'm reading {book} [right now|on the bus every morning|before bed] and [I can't put it down|"
    "it's so good|the writing is gorgeous]. / What novel is {speaker} hooked on?",
    "[Took|Walked] {petname} to {place} [this morning|after work|at dawn], [the {pet} made {num} "
    "new friends|it was chaos|everyone wanted to pet the {pet}]. / Where did {speaker} bring "
    "{petname}?",
    "I've been {feeling} about the interview on {weekday}, it's for a {job2} [position|role at "
    "a {adj} startup|job in {city2}]. / How does {speaker} feel before the {job2} interview?",
    "My {rel} taught me their recipe for {food} and I [made it for {num} people|burned the first "
    "batch|brought it to {place}]. / Who showed {speaker} how to cook {food}?",
    "I ran into {name} at {place} and we [talked for {num} hours|chatted for ages|laughed all "
    "afternoon] about {activity2}. / Whom did {speaker} bump into at {place}?",
    "We are planning a trip to {city2} in {month} [for a week of {activity2}|to visit my {rel}|"
    "for a wedding]. / When is {speaker} travelling to {city2}?",
    "I finished my first {activity} piece, [a little gift|a birthday surprise|a thank-you] for my "
    "{rel} {name}. / Who received the first thing {speaker} made?",
    "Our {thing} broke on {weekday} so I [spent the evening at|escaped to|took the kids to] "
    "{place} instead. / What stopped working at {speaker}'s house on {weekday}?",
    "I adopted a {pet2} from [the shelter|a rescue in {city2}] and named it {petname2}, [it is "
    "{num} months old|it's shy but sweet]. / What name did {speaker} give the new {pet2}?",
    "The {activity} group meets at {hour} near {place}, [you should come sometime|bring a "
    "friend|no experience needed]. / At what time does {speaker}'s {activity} group meet?",
    "I moved to {city} {num} years ago [for a job as a {job}|after college|with my {rel}] and "
    "[never left|still love it|sometimes miss home]. / Why did {speaker} settle in {city}?",
    "My {rel} and I cooked {food} and {food2} for [the neighbours|a potluck at {place}|my "
    "{rel2}'s birthday] on {weekday}. / Which dishes did {speaker} make on {weekday}?",
    "I'm saving {money} dollars for a {adj} {thing}, [almost there|halfway|maybe by {month}]! / "
    "What is {speaker} putting money aside to buy?",
    "Last {month} I volunteered at {place}, [helping kids with|teaching seniors] {activity2}. / "
    "Where did {speaker} volunteer in {month}?",
    "{name} from work lent me {book}, and [the ending made me cry|I read it in one night|I "
    "still haven't started]. / Which colleague lent {speaker} a novel?",
    "My {rel} is visiting {city} in {month} and [wants to try|keeps asking about] {food} at "
    "{place}. / When is {speaker}'s {rel} coming to {city}?",
    "The clinic called, my {rel} {name} is fine, just a [sprained ankle|broken wrist|bad bruise] "
    "from {activity2}. / What happened to {speaker}'s {rel} {name}?",
))


class Turn(NamedTuple):
    """One turn: its text ("[date] speaker: text") and a question about it in other words."""
    text: str
    question: str


def _conversation(rng: random.Random, day: date) -> Iterator[Turn]:
    """One conversation of two friends, session by session, for as long as it is read."""
    speakers = rng.sample(WORDS["name"], 2)
    lives = {s: {key: rng.choice(WORDS[key]) for key in ("rel", "pet", "petname", "city", "job",
                                                        "activity")} for s in speakers}
    while True:
        day += timedelta(days=rng.randint(2, 30))
        stamp = f"{day.day} {WORDS['month'][day.month - 1]}, {day.year}"
        for n, speaker in enumerate((speakers * 15)[:rng.randint(12, 30)]):  # taking turns
            slots = _Slots(rng, {**lives[speaker], "speaker": speaker})
            statement, question = rng.choice(PAIRS)
            said = [rng.choice(WORDS["open"])] if n and rng.random() < 0.5 else []
            said += [statement, *rng.sample(WORDS["follow"], rng.choice((0, 0, 1, 1, 1, 2, 3)))]
            yield Turn(slots.fill(f"[{stamp}] {speaker}: {' '.join(said)}"), slots.fill(question))


class _Slots(dict[str, str]):
    """A turn's words: the speaker's own life where they have one, else drawn as asked."""

    def __init__(self, rng: random.Random, life: dict[str, str]) -> None:
        super().__init__(life)
        self.rng = rng

    def fill(self, template: str) -> str:  # "[a|b]": a or b; "a architect": "an architect"
        chosen = _CHOICE.sub(lambda found: self.rng.choice(found[1].split("|")), template)
        return _AN.sub(r"\1n ", chosen.format_map(self))

    def __missing__(self, slot: str) -> str:
        self[slot] = self.fill(self.rng.choice(WORDS[slot.rstrip("0123456789")]))
        return self[slot]


def turns_and_questions(count: int, seed: int = SEED) -> list[Turn]:
    """The first count turns of seed's corpus, conversation after conversation."""
    rng, out = random.Random(seed), list[Turn]()  # noqa: S311  (sample data, not a secret)
    while len(out) < count:
        start = date(2022, 1, 1) + timedelta(days=rng.randrange(600))
        talk = _conversation(random.Random(rng.getrandbits(64)), start)  # noqa: S311
        out += [next(talk) for _ in range(min(rng.randint(300, 700), count - len(out)))]
    return out


def turns(count: int = TURNS, seed: int = SEED) -> list[str]:
    """count turns' texts, "[8 May, 2023] Maya: text"."""
    return [turn.text for turn in turns_and_questions(count, seed)]


def questions(count: int, seed: int = SEED, *, over: int = TURNS) -> list[str]:
    """count distinct questions about turns among the first `over`, spread over them."""
    found = list(dict.fromkeys(turn.question for turn in turns_and_questions(over, seed)))
    if len(found) < count:
        raise ValueError(f"{over} turns ask {len(found)} distinct questions, fewer than {count}")
    return [found[n * len(found) // count] for n in range(count)]
