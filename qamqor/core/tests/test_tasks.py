from qamqor.accounts.models import Role, User
from qamqor.core import services
from qamqor.core.models import TaskProgress
from qamqor.organizations.models import Organization


def test_demo_data_is_generated_by_a_task_that_reports_progress(people):
    from qamqor.core.tasks import seed_demo_task

    progress = services.progress_start(kind="seed_demo", label="Demo data", owner=people["platform_admin"])
    seed_demo_task.enqueue(progress.pk, "small", 7)  # immediate backend in tests: runs now
    progress.refresh_from_db()
    assert progress.status == TaskProgress.Status.SUCCEEDED
    assert progress.percent == 100 and progress.done == progress.total > 0
    assert Organization.objects.filter(region__kato_code="750000000").count() >= 3


def test_the_progress_page_shows_an_accessible_bar_that_polls_until_done(client_for, people):
    progress = services.progress_start(kind="x", label="Linking the registry", owner=people["platform_admin"], total=200)
    services.progress_update(progress.pk, done=50, status=TaskProgress.Status.RUNNING)
    client = client_for(people["platform_admin"])
    html = client.get(f"/tasks/{progress.pk}/").content.decode()
    assert '<progress id="bar-' in html and 'value="25"' in html and 'hx-trigger="every 1s"' in html
    assert f'id="progress-{progress.pk}-announce" role="status"></p>' in html  # silent while running
    services.progress_update(progress.pk, done=200, status=TaskProgress.Status.SUCCEEDED)
    partial = client.get(f"/tasks/{progress.pk}/", HTTP_HX_REQUEST="true", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "<html" not in partial and 'value="100"' in partial and "hx-trigger" not in partial
    assert 'role="status" hx-swap-oob="true">Finished' in partial  # announced once, when done


def test_someone_elses_task_is_not_found(client_for, people):
    progress = services.progress_start(kind="x", label="Private", owner=people["org_admin"])
    assert client_for(people["volunteer"]).get(f"/tasks/{progress.pk}/").status_code == 404


def test_demo_data_is_deterministic_for_a_seed(db):
    from django.db import transaction

    from qamqor.core.demo import demo_seed

    class Undo(Exception):
        pass

    def build():
        try:
            with transaction.atomic():
                demo_seed(size="small", seed=3)
                rows = (list(Organization.objects.order_by("bin").values_list("name", "bin", "region__kato_code")),
                        list(User.objects.order_by("email").values_list("email", "full_name")))
                raise Undo
        except Undo:
            return rows

    first, second = build(), build()
    assert first == second
    orgs, users = first
    # 3 organisations in each of the 20 regions, and the state body that buys the demo's social services.
    assert len(orgs) == 61 and len({b for _, b, _ in orgs}) == 61
    assert {kato for _, _, kato in orgs} == set(qamqor_regions())
    names = "".join(name for _, name in users)
    assert any(ch in names for ch in "әғқңөұүі")  # Kazakh letters appear
    assert any(name.isascii() for _, name in users)  # and Latin spellings


def qamqor_regions():
    from qamqor.core.models import Region

    return Region.objects.values_list("kato_code", flat=True)


def test_demo_log_ins_exist_for_every_role(db):
    from qamqor.core.demo import demo_logins, demo_seed

    demo_seed(size="small", seed=1)
    roles = set()
    for _label, email, needs_2fa in demo_logins():
        user = User.objects.get(email=email)
        assert user.check_password("qamqor-demo-2026")
        assert user.needs_two_factor == needs_2fa
        roles |= user.role_set()
    assert roles == set(Role)
