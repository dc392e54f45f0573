"""Finding the entities (people, places, things) a text names, without an LLM call.

CrewAI asks the agent's model for entities after every task: one more LLM call per task,
paid by every crew with memory on. CrewDesk finds them in the text instead: runs of
capitalised words ("Marie Curie", "Paris", "NASA"), less common sentence openers ("The",
"Write"), each with the sentence it came from. It is free and works offline; it misses
entities written in lower case and may keep an odd capitalised phrase.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_PHRASE = re.compile(
    r"(?:[A-Z][\w'’-]*[A-Za-z0-9]|[A-Z])(?:[ \t]+(?:(?:of|de|da|du|van|von|del|la|le)[ \t]+)?"
    r"(?:[A-Z][\w'’-]*[A-Za-z0-9]|[A-Z]))*"
)
_SENTENCE = re.compile(r"[^.!?\n]+[.!?]?")
_OPENER_WORDS = """
    a an the this that these those there here it its i we you he she they our your my his
    her their in on at for from with by to of and or but if when while after before as so
    then also not no yes all any each every some many most more first next finally however
    answer result results current task tasks research write analyze analyse summarize
    summarise find create list describe explain compare review draft plan report study make
    give use check note notes begin final thought action observation context expected output
    please today yesterday tomorrow monday tuesday wednesday thursday friday saturday sunday
    """
_OPENERS = frozenset(_OPENER_WORDS.split())
_MIN_LENGTH = 2


@dataclass(frozen=True, slots=True)
class Entity:
    """An entity found in a text: its name and the sentence that mentions it."""

    name: str
    mention: str


def find_entities(text: str, limit: int = 10) -> list[Entity]:
    """The entities `text` names, in order of first mention, at most `limit`."""
    found: dict[str, Entity] = {}
    for sentence in _SENTENCE.findall(text):
        mention = " ".join(sentence.split())
        for match in _PHRASE.finditer(sentence):
            name = _trim(match.group(0))
            if name and name.lower() not in found:
                found[name.lower()] = Entity(name=name, mention=mention[:300])
                if len(found) >= limit:
                    return list(found.values())
    return list(found.values())


def _trim(phrase: str) -> str:
    """Drops common words that open the phrase ("The", "Research"); "" when nothing is left."""
    words = phrase.split()
    while words and words[0].lower() in _OPENERS:
        words.pop(0)
    while words and words[-1].lower() in _OPENERS:
        words.pop()
    name = " ".join(words)
    return name if len(name) >= _MIN_LENGTH else ""
