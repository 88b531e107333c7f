"""Region suggestions as the user types (Discord's autocomplete): every country and group the
bot knows, at most 25, best first. Suggestions are only a help: the command validates whatever
value arrives."""

from __future__ import annotations

from bisect import bisect_left
from dataclasses import dataclass

from bot.core.engine import QuestionAnswerer
from bot.core.knowledge import KnowledgeBase
from bot.core.regions import region_display_name
from bot.core.text import normalise

MAX_CHOICES = 25  # Discord's limit for an autocomplete response
MAX_CHOICE_NAME = 100
MIN_ALIAS_QUERY = 3  # shorter, other names match too much to help
STOP_VALUE = "off"  # channel-reminders: stop this channel's reminders


@dataclass(frozen=True)
class RegionChoice:
    name: str  # shown: "Germany (DE)", or "Spain (ES) · gerona" when found by another name
    value: str  # the region id sent back with the command


@dataclass(frozen=True)
class _Region:
    id: str
    label: str  # "Germany", "UK", "European Union"
    folded: str  # the label normalised, for matching


class RegionChoices:
    """Built once from the knowledge base and the core's region names; choices() is cheap: the
    labels are scanned (a few hundred), the other names found by bisection."""

    def __init__(self, answerer: QuestionAnswerer):
        kb = answerer.kb
        by_region: dict[str, list[str]] = {group: [] for group in kb.groups}
        for name, region in answerer.regions.all_names().items():
            by_region.setdefault(region, []).append(name)
        regions = [_Region(r, label, normalise(label)) for r, label in _labels(by_region, kb)]
        groups = [r for r in regions if r.id in kb.groups]
        countries = sorted((r for r in regions if r.id not in kb.groups), key=lambda r: r.label)
        self._regions = groups + countries
        position = {region.id: n for n, region in enumerate(self._regions)}
        # Every word start of every other name: "united kingdom" under "united kingdom" and
        # "kingdom", so a prefix search finds names by any of their words.
        keys = set()
        for region_id, names in by_region.items():
            label = self._regions[position[region_id]].folded
            for name in names:
                if name == label:
                    continue
                words = name.split()
                for n in range(len(words)):
                    keys.add((" ".join(words[n:]), position[region_id], name))
        self._keys = sorted(keys)

    def choices(self, typed: str, limit: int = MAX_CHOICES) -> list[RegionChoice]:
        """The regions matching what was typed, best first: its id, then labels that start with
        it, have a word that does, or contain it, then (from 3 letters) any other name."""
        query = normalise(typed)
        if not query:
            return [self._choice(r) for r in self._regions[:limit]]
        best: dict[int, tuple[int, int, str | None]] = {}
        for order, region in enumerate(self._regions):
            tier = _label_tier(region, query)
            if tier is not None:
                best[order] = (tier, 0, None)
        if len(query) >= MIN_ALIAS_QUERY:
            for key, order, name in self._keys[bisect_left(self._keys, (query,)) :]:
                if not key.startswith(query):
                    break
                found = (4 if key == name else 5, len(name), name)
                if order not in best or found < best[order]:
                    best[order] = found
        ranked = sorted(best.items(), key=lambda item: (item[1][0], item[1][1], item[0]))
        return [self._choice(self._regions[order], alias) for order, (_, _, alias) in ranked][
            :limit
        ]

    @staticmethod
    def _choice(region: _Region, alias: str | None = None) -> RegionChoice:
        name = f"{region.label} ({region.id})"
        if alias:
            name = f"{name} · {alias}"
        return RegionChoice(name[:MAX_CHOICE_NAME], region.id)


def _label_tier(region: _Region, query: str) -> int | None:
    if query == region.id.lower():
        return 0
    if region.folded.startswith(query):
        return 1
    if any(word.startswith(query) for word in region.folded.split()):
        return 2
    if query in region.folded:
        return 3
    return None


def _labels(by_region: dict[str, list[str]], kb: KnowledgeBase) -> list[tuple[str, str]]:
    return [(region, _label(region_display_name(region, kb))) for region in by_region]


def _label(display: str) -> str:
    """ "the UK" -> "UK": a choice reads as a name, not as part of a sentence."""
    label = display.removeprefix("the ")
    return label[:1].upper() + label[1:]
