"""The one action: the AI-training setting's link for anyone who is or may be affected, and the
ads opt-out where the Microsoft ads sharing applies; both taken from the knowledge base."""

from __future__ import annotations

from dataclasses import replace

import pytest

from bot.core.actions import action_links
from bot.core.knowledge import CoverageRule, KnowledgeBase, Link, PolicyCoverage, RegionSet

SETTING = "https://www.linkedin.com/mypreferences/d/settings/data-for-ai-improvement"
ADS = "https://www.linkedin.com/mypreferences/s/settings/share-data-with-trusted-partners"


def urls(links: list[Link]) -> list[str]:
    return [link.url for link in links]


def test_without_a_region_only_the_settings_link(kb: KnowledgeBase):
    assert urls(action_links(kb)) == [SETTING]


@pytest.mark.parametrize(
    ("region", "expected"),
    [
        ("US", [SETTING, ADS]),  # ads sharing: yes
        ("BR", [SETTING, ADS]),
        ("CA", [SETTING]),  # ads sharing: unclear
        ("HK", [SETTING]),
        ("DE", [SETTING]),  # ads sharing: no
        ("GB", [SETTING]),
        ("EU", [SETTING]),  # a group, as a region
    ],
)
def test_the_ads_opt_out_only_where_the_ads_sharing_applies(kb: KnowledgeBase, region, expected):
    assert urls(action_links(kb, region)) == expected


def test_europe_without_a_country_reads_as_the_eea(kb: KnowledgeBase):
    assert action_links(kb, europe=True) == action_links(kb, "EEA")


def test_without_the_setting_only_the_ads_opt_out(kb: KnowledgeBase):
    assert urls(action_links(kb, "US", setting=False)) == [ADS]
    assert action_links(kb, "DE", setting=False) == []


def test_no_settings_link_where_the_coverage_says_not_affected(kb: KnowledgeBase):
    def cover(value: str) -> PolicyCoverage:
        return PolicyCoverage(value, "confirmed", "", ())

    elsewhere = CoverageRule(
        RegionSet(frozenset({"*"})),
        "everywhere",
        {"ai_training": cover("no"), "microsoft_ads": cover("yes")},
    )
    unaffected = replace(kb, coverage=(elsewhere,))
    assert urls(action_links(unaffected, "BR")) == [ADS]
    assert urls(action_links(unaffected)) == [SETTING]  # no region: whoever may be affected


def test_the_links_are_the_knowledge_bases_first_links_in_its_language(kb: KnowledgeBase):
    german = kb.in_language("de")
    setting, ads = action_links(german, "US")
    assert setting == german.intents["opt_out_steps"].answer.links[0]
    assert ads == german.intents["microsoft_sharing"].answer.links[0]
    assert setting.label != kb.intents["opt_out_steps"].answer.links[0].label
    # A new URL in the knowledge base reaches every reply at once.
    steps = kb.intents["opt_out_steps"]
    moved = Link("Open the setting", "https://www.linkedin.com/new-setting")
    answer = replace(steps.answer, links=(moved, *steps.answer.links[1:]))
    changed = replace(kb, intents={**kb.intents, "opt_out_steps": replace(steps, answer=answer)})
    assert action_links(changed, "DE") == [moved]
