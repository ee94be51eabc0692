"""Spanish sample content for the demo nodes, added through the same services the pages use.

Everything here is fictional: names, organizations and register numbers are made up for the demonstration.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

import asyncpg
from babel.support import Translations

from deliberate.accounts import service as accounts
from deliberate.accounts.model import Account
from deliberate.accounts.passwords import Passwords
from deliberate.budgets import service as budgets
from deliberate.clock import Clock
from deliberate.forums import service as forums
from deliberate.organizations import service as organizations
from web.i18n import gettext_for, load_catalogs

DEMO_PASSWORD = "demo-clave-2026"  # noqa: S105 - demo accounts only; printed at start-up


@dataclass(frozen=True)
class SampleOrganization:
    name: str
    kind: str
    zone: str
    registry_number: str
    description: str
    founder: str
    members: tuple[str, ...]
    verified: bool


@dataclass(frozen=True)
class SampleThread:
    author: str
    title: str
    body: str
    replies: tuple[tuple[str, str], ...]
    as_organization: str | None = None


@dataclass(frozen=True)
class District:
    slug: str
    name: str
    members: tuple[tuple[str, str], ...]
    organizations: tuple[SampleOrganization, ...]
    forum: str
    threads: tuple[SampleThread, ...]


VES = District(
    slug="ves",
    name="Villa El Salvador",
    members=(
        ("rosa.quispe", "Rosa Quispe"),
        ("juan.mamani", "Juan Mamani"),
        ("carmen.huaman", "Carmen Huamán"),
        ("luis.condori", "Luis Condori"),
    ),
    organizations=(
        SampleOrganization(
            "Comedor Popular Virgen de la Candelaria",
            "comedor_popular",
            "Sector 3, Grupo 15",
            "RUOS-VES-0412",
            "Preparamos 120 menús diarios para las familias del grupo 15.",
            "rosa.quispe",
            ("carmen.huaman",),
            True,
        ),
        SampleOrganization(
            "Comité de Vaso de Leche Las Lomas",
            "vaso_de_leche",
            "Sector 6",
            "RUOS-VES-0871",
            "Repartimos leche a 80 niñas y niños y a madres gestantes.",
            "carmen.huaman",
            ("rosa.quispe",),
            False,
        ),
        SampleOrganization(
            "Junta Vecinal Pachacámac Barrio 2",
            "junta_vecinal",
            "Parque industrial, Barrio 2",
            "",
            "Vecinos que gestionan agua, veredas y seguridad.",
            "juan.mamani",
            ("luis.condori",),
            False,
        ),
    ),
    forum="Presupuesto participativo 2027",
    threads=(
        SampleThread(
            "rosa.quispe",
            "¿Qué obra necesita más nuestro sector?",
            "El próximo año se decide el **presupuesto participativo**. En el sector 3 faltan veredas y un "
            "local comunal. ¿Qué proponen ustedes?",
            (
                ("juan.mamani", "En el barrio 2 lo urgente es el agua: hay días sin servicio."),
                ("carmen.huaman", "Apoyo el local comunal: ahí funcionaría también el comedor."),
            ),
            as_organization="Comedor Popular Virgen de la Candelaria",
        ),
        SampleThread(
            "luis.condori",
            "Reunión de coordinación en el centro de cómputo",
            "El sábado a las 10 a. m. nos reunimos en el centro de cómputo del sector 2 para aprender a usar "
            "la plataforma. Traigan su DNI.",
            (("rosa.quispe", "Ahí estaremos con las señoras del comedor."),),
        ),
    ),
)

VMT = District(
    slug="vmt",
    name="Villa María del Triunfo",
    members=(
        ("maria.flores", "María Flores"),
        ("pedro.ccahuana", "Pedro Ccahuana"),
        ("elena.torres", "Elena Torres"),
    ),
    organizations=(
        SampleOrganization(
            "Asociación de Comerciantes del Mercado José Carlos Mariátegui",
            "mercado",
            "José Carlos Mariátegui",
            "RUOS-VMT-0133",
            "Comerciantes del mercado que buscan mejorar su infraestructura.",
            "pedro.ccahuana",
            ("elena.torres",),
            True,
        ),
        SampleOrganization(
            "Colectivo Juvenil Nueva Esperanza",
            "juventud",
            "Nueva Esperanza",
            "RUOS-VMT-0920",
            "Jóvenes que organizan talleres de arte y deporte.",
            "elena.torres",
            ("maria.flores",),
            False,
        ),
    ),
    forum="Agua y saneamiento",
    threads=(
        SampleThread(
            "maria.flores",
            "Horarios de agua en Nueva Esperanza",
            "Desde hace un mes el agua llega solo de 5 a 8 de la mañana. ¿Pasa lo mismo en otras zonas?",
            (
                ("pedro.ccahuana", "En el mercado igual. Podríamos pedir una reunión con la municipalidad."),
                ("elena.torres", "Propongo juntar firmas de las organizaciones de la zona."),
            ),
        ),
    ),
)

DISTRICTS = (VES, VMT)

# Each district's participatory budget, open for proposals when the demo starts: zones ("Name; soles") and projects
# (proposer index in `members`, title, zone position, estimated cost, location, the review if one was made already).
BUDGETS: dict[str, tuple[str, tuple[tuple[int, str, int, str, str, tuple[str, str, str] | None], ...]]] = {
    "ves": (
        "Sector 1; 400000\nSector 2; 350000\nSector 3; 250000",
        (
            (0, "Losa deportiva con iluminación en el Grupo 15", 0, "180000", "Grupo 15, Sector 1",
             ("yes", "El terreno es municipal y la obra cabe en el plazo.", "195000")),
            (1, "Módulo de biblioteca comunal", 1, "95000", "Parque central, Sector 2", None),
            (2, "Veredas y rampas en la avenida Revolución", 2, "240000", "Av. Revolución, Sector 3",
             ("no", "La avenida es vía metropolitana: la obra corresponde a Lima Metropolitana.", "")),
        ),
    ),
    "vmt": (
        "José Carlos Mariátegui; 500000\nNueva Esperanza; 500000",
        (
            (0, "Reservorio de agua para Nueva Esperanza", 1, "420000", "Parte alta de Nueva Esperanza", None),
            (1, "Techo para el mercado José Carlos Mariátegui", 0, "150000", "Mercado J. C. Mariátegui", None),
        ),
    ),
}  # fmt: skip


async def seed(
    conn: asyncpg.Connection,
    district: District,
    *,
    clock: Clock,
    passwords: Passwords,
    catalogs: dict[str, Translations] | None = None,
) -> bool:
    """Add the district's sample content unless the node already has accounts; True when it was added. `catalogs`
    are the node's own when it has loaded them already (`load_catalogs` compiles every language's file again)."""
    if await accounts.count_accounts(conn) > 0:
        return False
    operator = await accounts.create_operator(
        conn, clock=clock, passwords=passwords, username="operador", password=DEMO_PASSWORD
    )
    people: dict[str, Account] = {}
    for username, name in district.members:
        people[username] = await accounts.register_account(
            conn,
            clock=clock,
            passwords=passwords,
            data={"username": username, "display_name": name, "password": DEMO_PASSWORD,
                  "password_confirm": DEMO_PASSWORD},
        )  # fmt: skip
    slugs: dict[str, str] = {}
    for sample in district.organizations:
        org = await organizations.create_organization(
            conn,
            clock=clock,
            actor=people[sample.founder],
            data={"name": sample.name, "kind": sample.kind, "zone": sample.zone,
                  "registry_number": sample.registry_number, "description": sample.description},
        )  # fmt: skip
        slugs[sample.name] = org.slug
        for username in sample.members:
            await organizations.invite_member(
                conn, clock=clock, actor=people[sample.founder], slug=org.slug, username=username
            )
            await organizations.accept_invitation(conn, clock=clock, actor=people[username], slug=org.slug)
        if sample.verified:
            await organizations.verify_organization(conn, clock=clock, actor=operator, slug=org.slug)
    forum = await forums.create_category(
        conn, clock=clock, actor=operator, data={"name": district.forum, "description": ""}
    )
    for sample_thread in district.threads:
        thread = await forums.start_thread(
            conn,
            clock=clock,
            actor=people[sample_thread.author],
            forum_slug=forum.slug,
            data={"title": sample_thread.title, "body": sample_thread.body},
            as_organization=slugs[sample_thread.as_organization] if sample_thread.as_organization else None,
        )
        for username, body in sample_thread.replies:
            await forums.reply(conn, clock=clock, actor=people[username], thread_id=thread.id, data={"body": body})
    await _seed_budget(conn, district, clock=clock, official=operator, people=people, catalogs=catalogs)
    return True


async def _seed_budget(
    conn: asyncpg.Connection,
    district: District,
    *,
    clock: Clock,
    official: Account,
    people: dict[str, Account],
    catalogs: dict[str, Translations] | None,
) -> None:
    """One process open for proposals since yesterday, with a few projects, one or two of them already reviewed."""
    if district.slug not in BUDGETS:
        return
    zones, projects = BUDGETS[district.slug]
    now = clock.now()
    # The demo nodes speak Spanish: the texts they store are Spanish.
    spanish = gettext_for((catalogs or load_catalogs())["es"])
    process = await budgets.create_process(
        conn,
        clock=clock,
        actor=official,
        node_text=spanish,
        data={
            "title": f"Presupuesto Participativo {district.name} {(now + timedelta(days=365)).year}",
            "description": "Propuestas de obras de los vecinos para el próximo año.",
            "zones": zones,
            "ballot_rule": "approval",
            "max_choices": "3",
            "counting_rule": "mes",
            "completion": "add1",
            "proposals_open_at": (now - timedelta(days=1)).isoformat(),
            "review_starts_at": (now + timedelta(days=20)).isoformat(),
            "voting_opens_at": (now + timedelta(days=35)).isoformat(),
            "voting_closes_at": (now + timedelta(days=50)).isoformat(),
            "implementation_starts_at": (now + timedelta(days=120)).isoformat(),
        },
    )
    for proposer, title, zone, cost, location, review in projects:
        project = await budgets.propose_project(
            conn,
            clock=clock,
            actor=people[district.members[proposer][0]],
            slug=process.slug,
            data={"title": title, "description": "", "location": location,
                  "zone_id": str(process.zones[zone].id), "estimated_cost": cost},
            node_text=spanish,
        )  # fmt: skip
        if review is not None:
            feasible, reason, final_cost = review
            await budgets.review_project(
                conn, clock=clock, actor=official, slug=process.slug, project_id=project.id,
                data={"feasible": feasible, "reason": reason, "final_cost": final_cost},
            )  # fmt: skip
