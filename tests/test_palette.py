"""One colour per optimizer, the same everywhere; other labels get distinct fixed colours."""

from gdlib.optim.optimizers import BY_NAME
from gdlib.viz import palette, race


def test_every_optimizer_has_its_own_colour_under_both_names():
    assert set(palette.FACTORY_NAMES) == set(BY_NAME)
    assert len(set(palette.COLORS.values())) == len(palette.COLORS) == 9
    for factory, name in palette.FACTORY_NAMES.items():
        assert palette.color(factory) == palette.color(name) == palette.COLORS[name]
    assert race.COLORS is palette.COLORS  # the still figures use the same table


def test_other_labels_get_fixed_distinct_colours():
    labels = [f"η = {v}" for v in (0.01, 0.02, 0.04)]
    colours = palette.colors(["Adam", *labels])
    assert colours[0] == palette.COLORS["Adam"] and len(set(colours[1:])) == 3
    assert palette.color("η = 0.01") == palette.color("η = 0.01")
