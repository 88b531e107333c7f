"""Slash-command descriptions in the language of each user's Discord client, from the knowledge
base's "commands" messages (the same ones Telegram's menu shows). Names and options stay English:
they are what users type."""

from __future__ import annotations

import discord
from discord import app_commands

from bot.core.languages import normalise_language
from bot.discord.chats import DISCORD_COMMANDS
from bot.service.chat import Words


class CommandTranslator(app_commands.Translator):
    def __init__(self, words: Words):
        super().__init__()
        self._words = words

    async def translate(
        self,
        string: app_commands.locale_str,
        locale: discord.Locale,
        context: app_commands.TranslationContext,
    ) -> str | None:
        if context.location is not app_commands.TranslationContextLocation.command_description:
            return None
        language = normalise_language(locale.value)
        if language in (None, self._words.source_language) or language not in self._words.languages:
            return None
        # "steps" is the table's "optout": find_command knows the aliases.
        name = getattr(context.data, "name", "")
        text = self._words.describe(name, language, DISCORD_COMMANDS)
        return text[:100] if text else None  # Discord's limit for a description
