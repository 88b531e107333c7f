"""One conversation per language, the same in every door's language tests (terminal, Telegram,
Discord): a question about the steps, whether it applies in a country, and that country as its
people write it, to subscribe."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Script:
    language: str
    steps_question: str
    affected_question: str
    region: str
    subscribe_place: str  # the country as people of that language write it


SCRIPTS = [
    Script("en", "how do I switch the AI training off?", "does this apply in Canada?", "CA", "Canada"),
    Script("de", "Wie kann ich das KI-Training abschalten?", "Betrifft mich das in Österreich?", "AT", "Österreich"),
    Script("fr", "Comment désactiver l'entraînement de l'IA ?", "Est-ce que ça s'applique au Canada ?", "CA", "Canada"),
    Script("nl", "Hoe zet ik die AI-training uit?", "Geldt dit ook voor België?", "BE", "België"),
    Script("it", "Come faccio a disattivare l'addestramento dell'IA?", "Vale anche per la Svizzera?", "CH", "Svizzera"),
    Script("es", "¿Cómo desactivo el entrenamiento de la IA?", "¿Esto se aplica en España?", "ES", "España"),
    Script("pl", "Jak wyłączyć trenowanie AI na moich danych?", "Czy to dotyczy Polski?", "PL", "Polska"),
]  # fmt: skip
