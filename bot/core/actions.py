"""The one action: the links a person who is or may be affected needs, from the knowledge base.

The AI-training setting's direct link is the first link of the `opt_out_steps` topic; the ads
opt-out is the first link of `microsoft_sharing`. Answers and reminders take them from here, so
a new URL in the knowledge base reaches every reply at once. Pure.
"""

from __future__ import annotations

from bot.core.knowledge import KnowledgeBase, Link

SETTING_LINK_FROM = "opt_out_steps"
ADS_LINK_FROM = "microsoft_sharing"


def action_links(
    kb: KnowledgeBase, region: str | None = None, *, europe: bool = False, setting: bool = True
) -> list[Link]:
    """The setting's link (with `setting`, unless the region's coverage says it is not affected
    by AI training), then the ads opt-out where the Microsoft ads sharing applies to the region
    (coverage yes); in `kb`'s language. Without a region, only the setting's."""
    cover = kb.coverage_for(region or "EEA").policies if (region or europe) else None
    wanted = []
    if setting and (cover is None or cover["ai_training"].value != "no"):
        wanted.append(SETTING_LINK_FROM)
    if cover is not None and cover["microsoft_ads"].value == "yes":
        wanted.append(ADS_LINK_FROM)
    links = []
    for intent_id in wanted:
        intent = kb.intents.get(intent_id)
        if intent is not None and intent.answer.links:
            links.append(intent.answer.links[0])
    return links
