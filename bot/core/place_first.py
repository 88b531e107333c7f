"""The person's situation first: how a named place, an age or a request for the list changes
which topic a question is about. Pure: it reorders the matcher's ranking, nothing more.

- A place with a general question ("Canada - do I need to opt out", "I'm German, should I
  care?", "is Norway on the list") is "am I affected" for that place; the answer says what to do
  there.
- A place with a topic ("where do I complain? I live in Norway") is that topic, for that place:
  naming a place lifts "am I affected" (engine.REGION_PRIOR), which must not outrank a topic the
  words themselves ask for.
(An age under 18, "I'm 16, does this apply to me", is the matcher's: bot.core.matching.teen_age.)
"""

from __future__ import annotations

from bot.core.matching import Scored

AFFECTED = "am_i_affected"
STEPS = "opt_out_steps"
# Topics whose question, asked with a place, is whether the change applies there.
GENERAL = frozenset({AFFECTED, "should_i_opt_out", "on_by_default"})
# Topics that, asked with a place, are answered for that place (engine.REGIONAL_INTENTS) or
# whose steps are the same everywhere; one of these the words ask for beats the place's lift.
PLACE_TOPICS = frozenset({"complain", "microsoft_sharing", "deadline", STEPS, "objection_form"})
# How much of the question's own words must point at such a topic (Scored.words).
TOPIC_WORDS = 0.25
# Words that make "opt out" a question of whether one has to, not how ("do I need to opt out").
NEED_WORDS = frozenset(
    {"need", "needed", "must", "gotta", "necessary", "required", "should", "have", "worth"}
    | {"muss", "musste", "brauche", "notig", "notwendig", "sollte", "soll"}
    | {"dois", "faut", "besoin", "necessaire", "devrais", "oblige"}
    | {"moet", "hoef", "nodig", "zou", "verplicht"}
    | {"devo", "bisogno", "necessario", "serve", "dovrei", "obbligatorio"}
    | {"tengo", "debo", "necesito", "falta", "necesario", "deberia", "obligatorio"}
    | {"musze", "trzeba", "powinienem", "powinnam", "konieczne", "potrzebuje", "musimy"}
)
# Words that ask for the whole list rather than about one place ("which countries").
LIST_WORDS = frozenset(
    {"countries", "regions", "list", "where", "lander", "liste", "pays", "landen", "lijst"}
    | {"paesi", "lista", "paises", "kraje", "krajow", "krajach", "panstwa", "wo", "waar", "dove"}
    | {"donde", "gdzie"}
)


# "what about me?", "und ich?", "en ik?", "et moi ?": the person asks about themselves, which is
# "am I affected" (for the place they gave earlier, or the bot asks for it).
SELF_WORDS = frozenset(
    {"me", "myself", "us", "ich", "mich", "mir", "uns", "moi", "nous", "ik", "mij", "ons"}
    | {"io", "noi", "yo", "mi", "nosotros", "mnie", "nas", "mna"}
)


# A rule that decides puts the other readings at least this far behind, so that the engine's
# margin test (engine.MIN_MARGIN) does not turn the decision back into a "did you mean".
DECIDED_MARGIN = 0.05


def asks_for_the_list(words: list[str]) -> bool:
    """ "which countries are affected?", "welche Länder": the answer is the grouped list."""
    return bool(LIST_WORDS & set(words))


def about_oneself(words: list[str], leads: frozenset[str]) -> bool:
    """Only a pronoun for oneself and follow-up words ("what about me", "und ich", "co ze mną?")."""
    unique = set(words)
    return bool(unique & SELF_WORDS) and unique <= SELF_WORDS | leads


def about_oneself_first(ranked: list[Scored], answer_at: float) -> list[Scored]:
    """ "am I affected" first, sure enough to answer: a question about oneself is that topic
    whatever the few words of it look like ("und ich" is not "under 18")."""
    sure = Scored(AFFECTED, max(answer_at, ranked[0].confidence if ranked else 0.0), 0.0, 1.0)
    return _first([sure, *ranked], AFFECTED, sure)


def place_first(
    ranked: list[Scored],
    words: list[str],
    place_named: bool,
    region_prior: float,
    answer_at: float,
) -> list[Scored]:
    """The ranking with the rules above applied; `words` are the question's normalised words
    without the place, `region_prior` what naming a place added to "am I affected", `answer_at`
    the confidence from which the engine answers."""
    if not ranked:
        return ranked
    best = ranked[0]
    if not place_named:
        return ranked
    if best.intent == AFFECTED and len(ranked) > 1:
        topic = ranked[1]
        if (
            topic.intent in PLACE_TOPICS
            and topic.confidence >= answer_at
            and topic.words >= max(TOPIC_WORDS, best.words)
            and topic.confidence >= best.confidence - region_prior
        ):
            # Only the place lifted "am I affected" above a topic the words clearly ask for.
            return _first(ranked, topic.intent, best)
    if best.intent in GENERAL or (best.intent == STEPS and NEED_WORDS & set(words)):
        return _first(ranked, AFFECTED, best)
    return ranked


def _first(ranked: list[Scored], intent: str, best: Scored) -> list[Scored]:
    """`intent` first, as sure as the best reading was; the others after it."""
    found = next((s for s in ranked if s.intent == intent), None)
    # The words that made the best reading sure count for the one the rule chose.
    lifted = (found or best)._replace(intent=intent, confidence=best.confidence, words=best.words)
    ceiling = lifted.confidence - DECIDED_MARGIN
    others = [
        s._replace(confidence=min(s.confidence, ceiling)) for s in ranked if s.intent != intent
    ]
    return [lifted, *others]
