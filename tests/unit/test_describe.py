"""A spec's description never goes stale (issue 21, item 3): a person's description is kept
as written, a derived one is never written into a spec file, and what a run's header says
follows the settings as they are now."""

from __future__ import annotations

from pathlib import Path

from ktui.core import spec as specmod
from ktui.core.spec.describe import experiment_description, headline
from ktui.core.spec.for_data import experiment_for
from ktui.core.spec.presets import get_preset


def test_the_headline_follows_an_edited_epoch_count() -> None:
    spec = get_preset("fashion-mlp")
    spec.train.epochs = 3
    line = headline(spec)
    assert line.startswith(spec.description)  # the preset's own words, as written
    assert line.endswith("Adam lr 3e-4, 3 epochs")  # and what trains now
    spec.train.epochs = 200
    assert headline(spec).endswith(", 200 epochs")


def test_a_spec_without_its_own_description_is_described_by_its_settings() -> None:
    spec = get_preset("linear-gd")
    spec.description = ""
    assert headline(spec) == experiment_description(spec) != ""


def test_a_spec_made_for_data_writes_no_derived_description(tmp_path: Path) -> None:
    data = tmp_path / "houses.csv"
    data.write_text("rooms,area,price\n" + "".join(f"{i % 5},{i * 3},{i * 7}\n"
                                                     for i in range(60)), encoding="utf-8")
    spec = experiment_for(str(data), "price")
    assert spec.description == ""
    spec.train.epochs = 7  # edited by hand after `ktui train --data`: nothing to go stale
    reread = specmod.loads(specmod.dumps(spec))
    assert reread.description == ""
    assert headline(reread).endswith("7 epochs")
