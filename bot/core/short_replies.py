"""Short replies to a question the bot has just asked: yes, no, or the number of a choice, in
any of the bot's languages ("ja", "nope", "2", "the first one", "druga")."""

from __future__ import annotations

import re
from dataclasses import dataclass

from bot.core.text import normalise

YES = frozenset(
    {"yes", "y", "yeah", "yep", "yup", "sure", "ok yes", "yes please", "go ahead", "confirm"}
    | {"ja", "jawohl", "jep", "klar", "oui", "ouais", "bien sur", "si", "certo", "claro", "tak"}
    | {"jazeker", "ja hoor", "ja graag", "oui merci", "si grazie", "si claro", "tak prosze"}
)
NO = frozenset(
    {"no", "n", "nope", "nah", "no thanks", "no thank you", "cancel", "dont", "do not", "stop"}
    | {"nein", "nee", "non", "non merci", "no grazie", "no gracias", "nie", "nie dziekuje"}
    | {"none", "none of these", "keine", "aucun", "geen", "nessuno", "ninguno", "zadne"}
)
ORDINALS = {
    1: {"first", "erste", "ersten", "premier", "premiere", "eerste", "primo", "prima"}
    | {"primero", "primera", "pierwszy", "pierwsza", "pierwsze"},
    2: {"second", "zweite", "zweiten", "deuxieme", "tweede", "secondo", "seconda"}
    | {"segundo", "segunda", "drugi", "druga", "drugie"},
    3: {"third", "dritte", "dritten", "troisieme", "derde", "terzo", "terza", "tercero"}
    | {"tercera", "trzeci", "trzecia", "trzecie"},
}
# After normalise(): "#2", "2.", "option 2", "Nr. 2" -> "2", "option 2", "nr 2".
_NUMBER = re.compile(r"^(?:option|opcion|opzione|optie|opcja|nr|number|nummer|numero)?\s*([1-9])$")
# Words around an ordinal that add nothing: "the first one", "die erste bitte".
_FILLER = frozenset(
    {"the", "one", "option", "please", "die", "der", "das", "bitte", "le", "la", "het", "de"}
    | {"il", "lo", "el", "la", "opcja", "prosze", "svp", "graag", "por", "favor", "pls", "plz"}
)


@dataclass(frozen=True)
class ShortReply:
    yes: bool | None = None  # True for yes, False for no, None when it is a choice
    choice: int | None = None  # 1-based


def read_short_reply(text: str) -> ShortReply | None:
    """What a short reply says, or None when it is not one (a question, a place, a sentence)."""
    if len(text) > 40:
        return None
    folded = normalise(text)
    words = folded.split()
    if not folded:
        return None
    if folded in YES:
        return ShortReply(yes=True)
    if folded in NO:
        return ShortReply(yes=False)
    if match := _NUMBER.match(folded):
        return ShortReply(choice=int(match[1]))
    meaningful = [w for w in words if w not in _FILLER]
    if len(meaningful) == 1:
        for number, names in ORDINALS.items():
            if meaningful[0] in names:
                return ShortReply(choice=number)
    return None
