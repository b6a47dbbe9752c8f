"""Demo data: deterministic for a seed. Plausible Kazakh and Russian names (Cyrillic and Latin), valid IINs and
BINs, fictional organisations in every region, and one log-in for each role.

This is a service (it writes), used by `qamqor seed-demo` and `qamqor run`; size "large" runs as a task.
"""

from __future__ import annotations

import datetime as dt
import random

from django.contrib.auth.hashers import make_password
from django.db import transaction
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice

from qamqor.accounts.models import PERSONAL_DATA_ROLES, Role, RoleAssignment, User
from qamqor.lib.iin import make_bin, make_iin
from qamqor.lib.translit import to_latin
from qamqor.organizations.models import Organization

from .models import Region
from .services import audit_record

DEMO_PASSWORD = "qamqor-demo-2026"
DEMO_DOMAIN = "demo.qamqor.kz"
# A fixed TOTP key (hex) for the demo staff accounts, so that a demo can be tried with any authenticator app.
# Never used outside demo data: real accounts get a random key when they set up two-step verification.
DEMO_TOTP_KEY = "3132333435363738393031323334353637383930"
DEMO_TOTP_BASE32 = "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ"

SIZES = {"small": {"orgs_per_region": 3, "users": 200, "persons": 3000},
         "large": {"orgs_per_region": 60, "users": 5000, "persons": 50000}}

KZ_MALE = ["Нұрлан", "Ерлан", "Асқар", "Дәурен", "Бауыржан", "Ержан", "Серік", "Арман", "Қайрат", "Мұрат", "Ақжол",
           "Дамир", "Нұрсұлтан", "Әли", "Ғалым", "Жандос", "Айдос", "Бекзат", "Талғат", "Ерболат"]
KZ_FEMALE = ["Ляззат", "Айгүл", "Гүлнар", "Әсем", "Динара", "Жанар", "Сәуле", "Аружан", "Мөлдір", "Гүлмира", "Айжан",
             "Ақбота", "Назерке", "Әйгерім", "Қарлығаш", "Салтанат", "Жұлдыз", "Інкәр", "Томирис", "Данагүл"]
KZ_SURNAMES = ["Кусаинов", "Сейтқали", "Нұрпейісов", "Ахметов", "Жұмабаев", "Омаров", "Сәрсенбаев", "Тоқтаров",
               "Бекмұхамедов", "Қасымов", "Исабеков", "Әбілқасымов", "Есенов", "Мұхамеджанов", "Оспанов", "Байжанов",
               "Тұрсынов", "Серікбаев", "Жақыпов", "Қалиев"]
RU_MALE = ["Александр", "Сергей", "Дмитрий", "Андрей", "Алексей", "Иван", "Михаил", "Николай", "Владимир", "Павел"]
RU_FEMALE = ["Елена", "Ольга", "Наталья", "Татьяна", "Ирина", "Светлана", "Анна", "Мария", "Екатерина", "Юлия"]
RU_SURNAMES = ["Иванов", "Петров", "Смирнов", "Кузнецов", "Попов", "Васильев", "Соколов", "Михайлов", "Новиков",
               "Фёдоров", "Ким", "Пак", "Шевченко", "Бондаренко"]
ORG_WORDS = ["Мейірім", "Қамқорлық", "Жарық", "Үміт", "Шапағат", "Достық", "Бірлік", "Ниет", "Жүрек", "Көмек",
             "Надежда", "Милосердие", "Добро", "Забота", "Светлый путь", "Рука помощи", "Ақ ниет", "Игілік"]
ORG_FORMS = {
    Organization.Kind.NGO: "«{w}» қоғамдық қоры",
    Organization.Kind.PUBLIC_ASSOCIATION: "«{w}» қоғамдық бірлестігі",
    Organization.Kind.CHARITY_FUND: "«{w}» қайырымдылық қоры",
    Organization.Kind.BUSINESS: "ТОО «{w} Trade»",
    Organization.Kind.SOCIAL_ENTERPRISE: "«{w}» әлеуметтік кәсіпорны",
    Organization.Kind.STATE_BODY: "Управление занятости и социальных программ ({city})",
    Organization.Kind.ETHNO_CULTURAL: "Этнокультурное объединение «{w}»",
    Organization.Kind.VOLUNTEER_GROUP: "«{w}» волонтерлік тобы",
    Organization.Kind.SERVICE_PROVIDER: "«{w}» әлеуметтік қызмет көрсету орталығы",
}

# One log-in per role; the coordinator works in Almaty city, the organisation roles in the first organisation there.
DEMO_ACCOUNTS = [
    ("admin", Role.PLATFORM_ADMIN, "Әлия Сейтқалиева"),
    ("coordinator", Role.COORDINATOR, "Нұрлан Кусаинов"),
    ("orgadmin", Role.ORG_ADMIN, "Гүлнар Ахметова"),
    ("staff", Role.ORG_STAFF, "Елена Ким"),
    ("dispatcher", Role.DISPATCHER, "Ерлан Омаров"),
    ("driver", Role.DRIVER, "Сергей Петров"),
    ("volunteer", Role.VOLUNTEER, "Аружан Есенова"),
    ("donor", Role.DONOR, "Дамир Байжанов"),
    ("beneficiary", Role.BENEFICIARY, "Ляззат Кусаинова"),
    ("jury", Role.JURY, "Ирина Соколова"),
]
ALMATY_KATO = "750000000"


def feminine(surname: str) -> str:
    if surname.endswith(("ов", "ев", "ин")):
        return surname + "а"
    if surname.endswith("ий"):
        return surname[:-2] + "ая"
    return surname


def person_name(rng: random.Random) -> tuple[str, str, dt.date, str]:
    """A full name (Cyrillic), its sex, a birth date and a valid IIN."""
    kazakh = rng.random() < 0.7
    sex = rng.choice("MF")
    if kazakh:
        given = rng.choice(KZ_MALE if sex == "M" else KZ_FEMALE)
        surname = rng.choice(KZ_SURNAMES)
    else:
        given = rng.choice(RU_MALE if sex == "M" else RU_FEMALE)
        surname = rng.choice(RU_SURNAMES)
    if sex == "F":
        surname = feminine(surname)
    born = dt.date(1940, 1, 1) + dt.timedelta(days=rng.randrange(0, 365 * 80))
    iin = None
    while iin is None:
        iin = make_iin(born, sex, rng.randrange(10000))
    return f"{given} {surname}", sex, born, iin


def demo_bin(rng: random.Random, used: set) -> str:
    while True:
        number = make_bin(rng.randrange(1995, 2025), rng.randrange(1, 13), rng.choice((4, 5, 6)), rng.randrange(10**6))
        if number and number not in used:
            used.add(number)
            return number


def demo_is_loaded() -> bool:
    return User.objects.filter(email=f"admin@{DEMO_DOMAIN}").exists()


def demo_seed(*, size: str = "small", seed: int = 1, report=None) -> str:
    """Create demo organisations, users and roles; deterministic for a seed. Returns a one-line summary."""
    if size not in SIZES:
        raise ValueError(f"size must be one of {', '.join(SIZES)}")
    spec = SIZES[size]
    rng = random.Random(seed)
    report = report or (lambda done, total, message="": None)
    regions = list(Region.objects.order_by("kato_code"))
    if len(regions) != 20:
        raise RuntimeError("The regions are not loaded: run `qamqor migrate` first.")
    total = len(regions) * spec["orgs_per_region"] + spec["users"] + len(DEMO_ACCOUNTS) + spec["persons"]
    done = 0
    password_hash = make_password(DEMO_PASSWORD)
    now = timezone.now()
    used_bins = set(Organization.objects.values_list("bin", flat=True))
    kinds = list(Organization.Kind)
    if User.objects.filter(email__endswith=f".{seed}-0@example.kz").exists():
        raise ValueError(f"Demo data for seed {seed} is loaded already; choose another --seed.")
    with transaction.atomic():
        orgs = []
        for region in regions:
            for i in range(spec["orgs_per_region"]):
                kind = kinds[(i + region.pk) % len(kinds)] if i else Organization.Kind.NGO
                word = rng.choice(ORG_WORDS)
                name = ORG_FORMS[kind].format(w=word, city=region.admin_centre_en)
                if i >= len(kinds):
                    name = f"{name} №{i // len(kinds) + 1}"
                status = Organization.Status.VERIFIED if (i == 0 or rng.random() < 0.8) else Organization.Status.PENDING
                orgs.append(Organization(
                    name=name, kind=kind, bin=demo_bin(rng, used_bins), region=region,
                    address=f"{region.admin_centre_en}, {rng.randrange(1, 200)} {rng.choice(['Abai', 'Tole bi', 'Dostyk', 'Satpayev'])} St",
                    phone=f"+7 7{rng.randrange(0, 99):02d} {rng.randrange(100, 999)} {rng.randrange(1000, 9999)}",
                    email=f"info{len(orgs) + 1}@example.kz",
                    description=rng.choice([
                        "Помогаем семьям с детьми с инвалидностью: реабилитация, консультации, продуктовые наборы.",
                        "Мүгедектігі бар адамдарға әлеуметтік қызметтер көрсетеміз.",
                        "We deliver food packages and organise the Caravan of Mercy on public holidays.",
                        "Жестовый язык, сопровождение, помощь на дому.",
                    ]),
                    status=status, verified_at=now if status == Organization.Status.VERIFIED else None,
                ))
        Organization.objects.bulk_create(orgs, batch_size=500)
        done += len(orgs)
        report(done, total, "organisations")

        users = []
        for n in range(spec["users"]):
            full_name, _sex, _born, _iin = person_name(rng)
            latin = to_latin(full_name).lower().replace(" ", ".").replace("'", "")
            users.append(User(email=f"{latin}.{seed}-{n}@example.kz", full_name=rng.choice([full_name, to_latin(full_name)]),
                              password=password_hash, language=rng.choice(["kk", "ru", "en", ""])))
        User.objects.bulk_create(users, batch_size=1000)
        done += len(users)
        report(done, total, "users")

        if not demo_is_loaded():
            almaty = next(r for r in regions if r.kato_code == ALMATY_KATO)
            home_org = Organization.objects.filter(region=almaty, status=Organization.Status.VERIFIED).order_by("pk").first()
            for login, role, name in DEMO_ACCOUNTS:
                user = User.objects.create(email=f"{login}@{DEMO_DOMAIN}", full_name=name, password=password_hash,
                                           is_staff=role == Role.PLATFORM_ADMIN, is_superuser=role == Role.PLATFORM_ADMIN)
                RoleAssignment.objects.create(
                    user=user, role=role, granted_at=now,
                    organization=home_org if role in (Role.ORG_ADMIN, Role.ORG_STAFF, Role.DISPATCHER, Role.DRIVER) else None,
                    region=almaty if role == Role.COORDINATOR else None)
                if role in PERSONAL_DATA_ROLES:
                    TOTPDevice.objects.create(user=user, name="demo authenticator", key=DEMO_TOTP_KEY, confirmed=True)
                done += 1
            report(done, total, "demo log-ins")

        # Memberships for the generated users: a few members in each organisation.
        new_users = list(User.objects.filter(email__in=[u.email for u in users]).order_by("pk"))
        org_rows = list(Organization.objects.filter(bin__in=[o.bin for o in orgs]).order_by("pk"))
        assignments = []
        for i, user in enumerate(new_users):
            if org_rows and i % 2 == 0:
                org = org_rows[(i // 2) % len(org_rows)]
                role = Role.ORG_ADMIN if (i // 2) < len(org_rows) else Role.ORG_STAFF
                assignments.append(RoleAssignment(user=user, role=role, organization=org, granted_at=now))
            else:
                assignments.append(RoleAssignment(user=user, role=rng.choice([Role.VOLUNTEER, Role.DONOR, Role.BENEFICIARY]),
                                                  granted_at=now))
        RoleAssignment.objects.bulk_create(assignments, batch_size=1000)

        # The registry: persons owned by the verified organisations; the demo beneficiary is one of them.
        from qamqor.registry.demo import demo_registry

        verified = [o for o in org_rows if o.status == Organization.Status.VERIFIED]
        staff_user = User.objects.filter(email=f"staff@{DEMO_DOMAIN}").first()
        persons = demo_registry(rng=rng, organizations=verified, count=spec["persons"], owner_user=staff_user,
                                report=lambda n: report(done + n, total, "persons"))
        done += spec["persons"]
        beneficiary = User.objects.filter(email=f"beneficiary@{DEMO_DOMAIN}", person__isnull=True).first()
        if beneficiary is not None and staff_user is not None:
            from qamqor.registry.models import Person

            home = staff_user.role_assignments.filter(organization__isnull=False).first().organization
            # Someone the special social services are for (a disability of group I or II), so that a visitor
            # logged in as the beneficiary sees entitlements, bookings and InvaTaxi rides of their own.
            free = Person.objects.filter(owner=home, user__isnull=True, status="active").order_by("pk")
            mine = free.filter(disability__code__in=["group_1", "group_2"]).first() or free.first()
            if mine is not None:
                Person.objects.filter(pk=mine.pk).update(user=beneficiary)
                # The account carries the registered person's name, as it would after a real sign-up.
                User.objects.filter(pk=beneficiary.pk).update(full_name=f"{mine.given_name} {mine.surname}")
        summary = f"{len(orgs)} organisations, {len(users)} users, {persons} persons (size {size}, seed {seed})"
        donor = User.objects.filter(email=f"donor@{DEMO_DOMAIN}").first()
        if staff_user is not None and donor is not None:
            from qamqor.aid.demo import demo_aid
            from qamqor.aid.models import Warehouse

            home = staff_user.role_assignments.filter(organization__isnull=False).first().organization
            if not Warehouse.objects.filter(organization=home).exists():
                summary += "; " + demo_aid(rng=rng, home_org=home, staff_user=staff_user, donor_user=donor,
                                           region=home.region)
            org_admin = User.objects.filter(email=f"orgadmin@{DEMO_DOMAIN}").first()
            if org_admin is not None:
                from qamqor.social_services.demo import demo_social_services

                summary += "; " + demo_social_services(
                    rng=rng, provider=home, provider_admin=org_admin, region=home.region,
                    admin=User.objects.filter(email=f"admin@{DEMO_DOMAIN}").first(), domain=DEMO_DOMAIN)
                dispatcher = User.objects.filter(email=f"dispatcher@{DEMO_DOMAIN}").first()
                if dispatcher is not None:
                    from qamqor.transport.demo import demo_transport

                    summary += "; " + demo_transport(rng=rng, provider=home, provider_admin=org_admin,
                                                     dispatcher=dispatcher, domain=DEMO_DOMAIN)
        audit_record(actor=None, action="demo.seed", object_type="demo", object_id=str(seed), after={"summary": summary})
    report(total, total, "done")
    return summary


def demo_logins() -> list[tuple[str, str, bool]]:
    """(role label, e-mail, needs 2FA) for each demo log-in."""
    return [(str(role.label), f"{login}@{DEMO_DOMAIN}", role in PERSONAL_DATA_ROLES) for login, role, _ in DEMO_ACCOUNTS]
