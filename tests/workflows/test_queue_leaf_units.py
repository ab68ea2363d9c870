"""A unit with no unit under it is queried by its own path (an index range in the page's order);
the moment a unit is created under it, its clerks see that unit's work too."""

from django.contrib.auth import get_user_model

from permissions.roles import Role
from tests.factories import make_unit, make_user
from workflows.inbox import queue_for
from workflows.models import RecordTask


def fresh(user):
    """The user as the next request loads them (roles and units read again)."""
    return get_user_model().objects.get(pk=user.pk)


def test_a_leaf_units_queue_then_the_units_created_under_it(world):
    # given a new district with no commune yet, its clerk, and a book of its own
    district = make_unit("Huyện Mới", "district", world.province)
    clerk = make_user("clerk_new_d", Role.CLERK, district)
    own = world.book(district, cases=2)
    world.book(world.commune_a, cases=1)  # elsewhere: never in this clerk's queue

    queue = queue_for(fresh(clerk))
    assert '"unit_path" = ' in str(queue.query)  # its own path alone, no LIKE
    assert {t.book_id for t in queue} == {own.pk}

    # when a commune is created under the district, with a book
    commune = make_unit("Xã Mới", "commune", district)
    below = world.book(commune, cases=1)

    # then the clerk's next page holds the district's and the commune's work, oldest first
    queue = queue_for(fresh(clerk))
    assert "LIKE" in str(queue.query)
    tasks = list(queue.order_by("created", "id"))
    assert {t.book_id for t in tasks} == {own.pk, below.pk}
    assert len(tasks) == RecordTask.objects.filter(book__in=[own, below], stage="scan").count() == 3
