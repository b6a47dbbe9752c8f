"""Reads about users: the dashboard each role sees, member lists."""

from django.db.models import Count, Prefetch, Q

from .models import Role, RoleAssignment, User


def active_assignments():
    return RoleAssignment.objects.filter(revoked_at__isnull=True)


def user_with_roles(user_id: int) -> User | None:
    user = User.objects.filter(pk=user_id).prefetch_related(
        Prefetch("role_assignments", queryset=active_assignments().select_related("organization", "region"),
                 to_attr="_prefetched_roles")).first()
    if user is not None:
        user._active_roles = user._prefetched_roles
    return user


def dashboard_for(user) -> dict:
    """What a signed-in user's dashboard shows: one section per role they hold."""
    from qamqor.organizations.access import review_queue
    from qamqor.organizations.models import Organization

    roles = user.active_roles()
    role_set = user.role_set()
    sections = []
    org_ids = [a.organization_id for a in roles if a.organization_id]
    orgs = {o.pk: o for o in Organization.objects.filter(pk__in=org_ids).annotate(
        member_count=Count("memberships", filter=Q(memberships__revoked_at__isnull=True)))}
    for assignment in roles:
        sections.append({"role": assignment.role, "label": assignment.get_role_display(),
                         "organization": orgs.get(assignment.organization_id), "region": assignment.region})
    if user.is_superuser and not any(a.role == Role.PLATFORM_ADMIN for a in roles):
        sections.insert(0, {"role": Role.PLATFORM_ADMIN, "label": Role.PLATFORM_ADMIN.label, "organization": None,
                            "region": None})
    review = None
    if Role.COORDINATOR in role_set or Role.PLATFORM_ADMIN in role_set:
        review = list(review_queue(user).select_related("region")[:20])
    return {"sections": sections, "role_set": role_set, "review_queue": review}


def people_list(*, q: str = "", role: str = ""):
    """Users with their active roles, for the platform admin's people page (two queries per page)."""
    qs = User.objects.all()
    if q:
        qs = qs.filter(Q(email__icontains=q.strip()) | Q(full_name__icontains=q.strip()))
    if role:
        qs = qs.filter(role_assignments__role=role, role_assignments__revoked_at__isnull=True).distinct()
    return qs.prefetch_related(
        Prefetch("role_assignments", queryset=active_assignments().select_related("organization", "region"),
                 to_attr="_active_roles")).order_by("full_name", "pk")
