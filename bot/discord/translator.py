"""Slash-command descriptions in the language of each user's Discord client, from the knowledge
base's "commands" messages (the same ones Telegram's menu shows). Names and options stay English:
they are what users type."""

from __future__ import annotations

from collections.abc import Callable

import discord
from discord import app_commands

from bot.core.knowledge import KnowledgeBase
from bot.core.languages import SOURCE_LANGUAGE, normalise_language

# Subcommands whose message key differs from their name ("steps" is Telegram's /optout).
MESSAGE_KEYS = {"steps": "optout"}


class CommandTranslator(app_commands.Translator):
    def __init__(self, knowledge: Callable[[], KnowledgeBase]):
        super().__init__()
        self._knowledge = knowledge

    async def translate(
        self,
        string: app_commands.locale_str,
        locale: discord.Locale,
        context: app_commands.TranslationContext,
    ) -> str | None:
        if context.location is not app_commands.TranslationContextLocation.command_description:
            return None
        language = normalise_language(locale.value)
        kb = self._knowledge()
        if language in (None, SOURCE_LANGUAGE) or language not in kb.languages:
            return None
        name = getattr(context.data, "name", "")
        text = kb.in_language(language).messages.get("commands." + MESSAGE_KEYS.get(name, name))
        return text[:100] if text else None  # Discord's limit for a description
