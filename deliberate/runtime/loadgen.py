"""Bulk synthetic data for benchmarks and load tests: members, organizations, forums, threads and posts, by COPY.

What it owns: making a large forum that looks like a district's (Spanish text with a long tail of words, so full-text
search has real work; posts interleaved across threads in time order, replies, tombstones, reactions) fast enough
that a million posts load in a few minutes on two cores. Rows go in with asyncpg's `copy_records_to_table`, never
through the services: those run markup, events and permission checks per row, which is right for people and far too
slow here. Because it bypasses them, it keeps by construction what they keep one row at a time:

* `thread.post_count` and `thread.last_post_at` match the thread's posts (tombstones count, as in `insert_post`);
* a reply quotes an earlier post of the same thread; ids grow with `created_at`, as they do on a live node;
* `post.search` is a generated column: PostgreSQL computes it during the COPY, so it is never sent;
* ids are chosen here (COPY writes identity columns as given) after the largest existing ones, and each identity
  sequence is moved past them at the end, so the node keeps inserting normally afterwards.

With `rebuild_indexes` the post table's secondary indexes (found in the catalog, so this module never repeats a
migration's definition) are dropped before the load and created again after it: one sort beats a million GIN
insertions. Everything ends with VACUUM ANALYZE so the planner and index-only scans see the new rows.

What it must not do: run against a database people use. It writes straight into the forum, account and organization
tables and records no domain events; it is for benchmark, test and development databases only. All names and text
are made up. Time (`now`) and randomness (`Plan.seed`) are injected: the same plan gives the same rows.

Run it: `python -m deliberate.runtime.loadgen --database-url URL --members 100000 --posts 1000000`.
"""

from __future__ import annotations

import argparse
import asyncio
import math
import random
import sys
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from html import escape

import asyncpg

from deliberate.db.pool import connect

# A thread page shows 50 posts; benchmarks need at least one thread that fills a page and has a next one.
LONG_THREAD = 60
LONGEST_THREAD = 600
MEAN_GAP_SECONDS = 6 * 3600.0  # between two posts of a thread
REPLY_RATE = 0.25  # posts that quote one of the thread's last few posts
DELETED_RATE = 0.005
REACTION_RATE = 0.06
REACTIONS = ("apoyo", "de_acuerdo", "en_desacuerdo", "gracias", "pregunta")
SENTENCE_POOL = 30_000
COPY_CHUNK = 100_000

FIRST_NAMES = (
    "rosa", "juan", "carmen", "luis", "maria", "pedro", "elena", "jose", "ana", "carlos", "julia", "miguel",
    "lucia", "jorge", "sonia", "raul", "gloria", "victor", "teresa", "hugo", "norma", "felix", "delia", "cesar",
    "isabel", "walter", "nelly", "edgar", "flor", "ruben", "yolanda", "alberto", "marisol", "wilmer", "susana",
    "percy", "liliana", "ricardo", "maribel", "fredy",
)  # fmt: skip
SURNAMES = (
    "quispe", "mamani", "huaman", "condori", "flores", "ccahuana", "torres", "rojas", "chavez", "vargas",
    "ramos", "mendoza", "gutierrez", "apaza", "cusi", "huanca", "poma", "ticona", "yupanqui", "choque", "salazar",
    "castillo", "paredes", "espinoza", "ayala", "villanueva", "cardenas", "palomino", "sulca", "taipe", "huillca",
    "ccori", "limachi", "pari", "guzman", "medina", "soto", "aguilar", "nina", "ortiz",
)  # fmt: skip
ACCENTED = {"maria": "María", "jose": "José", "lucia": "Lucía", "raul": "Raúl", "felix": "Félix",
            "cesar": "César", "huaman": "Huamán", "chavez": "Chávez", "gutierrez": "Gutiérrez",
            "cardenas": "Cárdenas", "guzman": "Guzmán"}  # fmt: skip
# Places with their article, so "en {zone}" and "de {zone}" read right ("de el" becomes "del").
ZONES = (
    "el sector 1", "el sector 2", "el sector 3", "el sector 6", "el sector 7", "la loma", "el parque industrial",
    "Pachacámac", "Nueva Esperanza", "José Carlos Mariátegui", "Tablada de Lurín", "Villa Poeta",
    "el barrio 2", "el grupo 15", "el grupo 22", "la avenida Revolución", "la avenida Central", "el mercado",
    "la calle {surname}", "el pasaje {surname}", "el jirón {surname}", "la urbanización {surname}",
)  # fmt: skip
ORGANIZATION_KINDS = (
    ("comedor_popular", "Comedor Popular"), ("vaso_de_leche", "Comité de Vaso de Leche"),
    ("junta_vecinal", "Junta Vecinal"), ("mujeres", "Club de Madres"), ("juventud", "Colectivo Juvenil"),
    ("mercado", "Asociación del Mercado"), ("cultural", "Centro Cultural"), ("otra", "Asociación"),
)  # fmt: skip
CATEGORIES = (
    ("Vecindad", "Lo que pasa en el barrio, avisos y conversaciones entre vecinos."),
    ("Presupuesto participativo", "Propuestas de obras, prioridades y seguimiento del presupuesto del distrito."),
    ("Agua y saneamiento", "Cortes, horarios de cisterna, conexiones y reclamos a Sedapal."),
    ("Seguridad ciudadana", "Serenazgo, alumbrado, juntas vecinales de seguridad."),
    ("Comedores y vaso de leche", "Abastecimiento, padrones y coordinación entre organizaciones."),
    ("Educación y juventud", "Colegios, talleres, becas y deporte."),
    ("Salud", "Postas, campañas de vacunación y anemia."),
    ("Medio ambiente", "Áreas verdes, residuos sólidos y reciclaje."),
    ("Transporte", "Rutas, paraderos y pistas."),
    ("Cultura y fiestas", "Aniversarios, ferias y actividades culturales."),
)  # fmt: skip
# The share of threads each category gets: a few busy forums and a long tail, as on any forum.
CATEGORY_WEIGHTS = (40, 14, 10, 8, 7, 6, 5, 4, 3, 3)

SUBJECTS = (
    "La junta vecinal", "El comedor popular", "La presidenta del vaso de leche", "Un vecino de {zone}",
    "La municipalidad", "El alcalde", "La regidora", "El comité de seguridad", "La asociación del mercado",
    "Nuestra organización", "El colectivo juvenil", "La posta de salud", "El colegio del {zone}",
    "La señora {surname}", "El señor {surname}", "La directiva", "Sedapal", "El serenazgo", "El club de madres",
    "La parroquia", "Un grupo de {n} familias", "El gremio de comerciantes", "La comisión de obras",
    "El teniente alcalde", "La profesora {surname}", "El dirigente {surname}",
)  # fmt: skip
VERBS = (
    "propone", "pide", "organiza", "necesita", "rechaza", "aprobó", "va a revisar", "denunció", "coordina",
    "solicitó", "presentó", "apoya", "exige", "postergó", "anunció", "recoge firmas para", "evaluará",
    "todavía no resuelve", "ya gestionó", "quiere priorizar",
)  # fmt: skip
OBJECTS = (
    "el presupuesto participativo", "la pavimentación de la avenida", "el agua potable", "una faena comunal",
    "el alumbrado público", "la construcción del local comunal", "las veredas", "el muro de contención",
    "la recolección de basura", "el padrón de beneficiarios", "la entrega de alimentos", "la campaña de vacunación",
    "el horario de la cisterna", "la instalación de desagüe", "las cámaras de seguridad", "el parque infantil",
    "la losa deportiva", "el proyecto de áreas verdes", "la titulación de lotes", "el mantenimiento de la pista",
    "la feria de emprendedores", "el taller de computación", "la olla común", "el reciclaje de plásticos",
    "la ampliación del mercado", "la escalera de la loma", "el paradero de mototaxis", "la biblioteca comunal",
    "la rendición de cuentas", "el plan de desarrollo concertado", "la reubicación de ambulantes",
    "el reservorio de agua", "la señalización de la pista", "la limpieza del canal", "el censo de familias",
    "la capacitación en primeros auxilios", "la compra de ollas industriales", "la donación de víveres",
)  # fmt: skip
TIMES = (
    "", "", "", " este sábado", " desde el mes pasado", " para el próximo año", " antes de fin de mes",
    " hace {n} días", " en la asamblea del domingo", " a las {h} de la mañana", " cuanto antes",
    " desde hace {n} años", " esta semana", " en la próxima sesión de concejo",
)  # fmt: skip
PLACES = ("", "", " en {zone}", " frente al mercado", " en la manzana {letter}", " cerca del colegio",
          " en la parte alta de la loma", " junto a la posta")  # fmt: skip
OPINIONS = (
    "Creo que es urgente", "No estoy de acuerdo con", "Hay que insistir con", "Me parece bien", "Propongo votar por",
    "Falta información sobre", "Es una vergüenza lo que pasa con", "Felicito a quienes trabajaron en",
    "Tenemos que hablar de", "Les recuerdo", "Pregunten en la municipalidad por",
)  # fmt: skip
REASONS = (
    "porque los niños no tienen dónde jugar", "porque llevamos {n} años esperando",
    "porque en invierno la humedad enferma a los abuelos", "porque el camión no pasa hace {n} días",
    "porque de noche no se puede caminar tranquilo", "porque las señoras cocinan con leña",
    "porque el expediente técnico ya está listo", "porque así lo acordamos en asamblea",
    "porque la cisterna solo viene los martes", "porque el presupuesto no alcanza para todo",
)  # fmt: skip
QUESTIONS = (
    "¿Alguien sabe qué pasó con", "¿Quién se encarga de", "¿Cuándo empiezan con", "¿Hay fecha para",
    "¿Dónde se inscribe uno para", "¿Cuánto cuesta", "¿Por qué nadie informa sobre",
)  # fmt: skip
GREETINGS = ("Buenas tardes, vecinos", "Hola a todos", "Estimados vecinos", "Compañeras", "Buenos días")
TITLE_PATTERNS = (
    "{Object} en {zone}", "¿Qué pasó con {object}?", "Propuesta: {object}", "Reunión sobre {object}",
    "Urgente: {object} en la manzana {letter}", "{Object}: avances y pendientes", "Consulta sobre {object}",
    "Firmas para {object}", "Aviso a los vecinos de {zone}",
)  # fmt: skip


@dataclass(frozen=True)
class Plan:
    """How much to make. `members` are accounts; organizations default to one per 500 members."""

    members: int
    posts: int
    categories: int = len(CATEGORIES)
    organizations: int | None = None
    mean_thread_length: float = 12.0
    days: int = 730
    seed: int = 2026

    def organization_count(self) -> int:
        if self.organizations is not None:
            return self.organizations
        return max(1, self.members // 500) if self.members >= 10 else 0


@dataclass
class LoadReport:
    members: int = 0
    organizations: int = 0
    memberships: int = 0
    forums: int = 0
    threads: int = 0
    posts: int = 0
    reactions: int = 0
    seconds: dict[str, float] = field(default_factory=dict)

    @property
    def total_seconds(self) -> float:
        return sum(self.seconds.values())

    def summary(self) -> str:
        phases = ", ".join(f"{name} {secs:.1f}s" for name, secs in self.seconds.items())
        return (
            f"{self.members} members, {self.organizations} organizations ({self.memberships} memberships), "
            f"{self.forums} forums, {self.threads} threads, {self.posts} posts, {self.reactions} reactions "
            f"in {self.total_seconds:.1f}s ({phases})"
        )


class _Timer:
    def __init__(self, report: LoadReport) -> None:
        self.report = report

    def phase(self, name: str) -> _Phase:
        return _Phase(self.report, name)


class _Phase:
    def __init__(self, report: LoadReport, name: str) -> None:
        self.report, self.name, self.started = report, name, 0.0

    def __enter__(self) -> None:
        self.started = time.perf_counter()

    def __exit__(self, *_: object) -> None:
        self.report.seconds[self.name] = time.perf_counter() - self.started


class _Text:
    """Spanish-looking sentences, titles and names from a seeded random source."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self.sentences = [self._sentence() for _ in range(SENTENCE_POOL)]

    def _fill(self, pattern: str) -> str:
        rng = self.rng
        obj = rng.choice(OBJECTS)
        zone = rng.choice(ZONES).format(surname=self.surname())
        filled = pattern.format(
            zone=zone, surname=self.surname(), n=rng.randint(2, 120), h=rng.randint(6, 11),
            letter=rng.choice("ABCDEFGHIJKLMN"), object=obj, Object=obj[0].upper() + obj[1:],
        )  # fmt: skip
        return filled.replace(" de el ", " del ")

    def _sentence(self) -> str:
        rng = self.rng
        shape = rng.random()
        if shape < 0.55:
            pattern = f"{rng.choice(SUBJECTS)} {rng.choice(VERBS)} {{object}}{rng.choice(PLACES)}{rng.choice(TIMES)}."
        elif shape < 0.75:
            pattern = f"{rng.choice(OPINIONS)} {{object}} {rng.choice(REASONS)}."
        elif shape < 0.9:
            pattern = f"{rng.choice(QUESTIONS)} {{object}}{rng.choice(PLACES)}?"
        else:
            subject = rng.choice(SUBJECTS)
            pattern = f"{rng.choice(GREETINGS)}: {subject[0].lower()}{subject[1:]} {rng.choice(VERBS)} {{object}}."
        return self._fill(pattern)

    def surname(self) -> str:
        name = self.rng.choice(SURNAMES)
        return ACCENTED.get(name, name.capitalize())

    def title(self) -> str:
        return self._fill(self.rng.choice(TITLE_PATTERNS))[:200]

    def body(self) -> tuple[str, str]:
        """Markdown source and its HTML: one or two paragraphs of plain sentences."""
        rng = self.rng
        count = min(1 + int(rng.expovariate(1 / 2.2)), 12)
        picked = [rng.choice(self.sentences) for _ in range(count)]
        paragraphs = [" ".join(picked)] if count < 4 else [" ".join(picked[:2]), " ".join(picked[2:])]
        return "\n\n".join(paragraphs), "".join(f"<p>{escape(p)}</p>\n" for p in paragraphs)


def _thread_lengths(rng: random.Random, threads: int, posts: int, mean: float) -> list[int]:
    """Geometric lengths (most threads short, a few long) adjusted to add up to `posts` exactly."""
    p = 1.0 / max(mean, 1.0)
    log_q = math.log(1.0 - p) if p < 1.0 else -math.inf
    lengths = [min(1 + int(math.log(1.0 - rng.random()) / log_q), LONGEST_THREAD) for _ in range(threads)]
    lengths[0] = max(lengths[0], min(LONG_THREAD, posts - threads + 1))
    floor = [1] * threads
    floor[0] = lengths[0]
    diff = posts - sum(lengths)
    while diff:
        i = rng.randrange(threads)
        if diff > 0 and lengths[i] < LONGEST_THREAD:
            lengths[i] += 1
            diff -= 1
        elif diff < 0 and lengths[i] > floor[i]:
            lengths[i] -= 1
            diff += 1
    return lengths


async def _next_id(conn: asyncpg.Connection, table: str, column: str = "id") -> int:
    value: int = await conn.fetchval(f"SELECT coalesce(max({column}), 0) + 1 FROM {table}")  # noqa: S608 - constants
    return value


async def _copy(
    conn: asyncpg.Connection, table: str, columns: Sequence[str], records: Iterator[tuple[object, ...]]
) -> None:
    await conn.copy_records_to_table(table, columns=list(columns), records=records)


def _chunks(records: Iterator[tuple[object, ...]], size: int) -> Iterator[list[tuple[object, ...]]]:
    chunk: list[tuple[object, ...]] = []
    for record in records:
        chunk.append(record)
        if len(chunk) == size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


async def _secondary_indexes(conn: asyncpg.Connection, table: str) -> list[tuple[str, str]]:
    """(name, CREATE INDEX statement) of the indexes that back no constraint: safe to drop and rebuild."""
    rows = await conn.fetch(
        """
        SELECT c.relname AS name, pg_get_indexdef(i.indexrelid) AS definition
        FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid
        WHERE i.indrelid = $1::regclass
          AND NOT EXISTS (SELECT 1 FROM pg_constraint k WHERE k.conindid = i.indexrelid)
        ORDER BY c.relname
        """,
        table,
    )
    return [(row["name"], row["definition"]) for row in rows]


async def load(
    conn: asyncpg.Connection,
    plan: Plan,
    *,
    now: datetime,
    password_hash: str,
    rebuild_indexes: bool | None = None,
) -> LoadReport:
    """Add `plan`'s rows to the database behind `conn`; returns what was made and how long each phase took.

    Runs its own transactions (one per table group) and VACUUM ANALYZE at the end, so call it outside any transaction.
    `rebuild_indexes` defaults to True from 100,000 posts on.
    """
    rng = random.Random(plan.seed)
    report = LoadReport()
    timer = _Timer(report)
    text = _Text(rng)
    end = now.timestamp()
    begin = end - plan.days * 86400.0
    if rebuild_indexes is None:
        rebuild_indexes = plan.posts >= 100_000

    # Members: a skewed share of the posting (a few people write most of it), as on any forum.
    with timer.phase("members"):
        first_account = await _next_id(conn, "account")
        accounts = list(range(first_account, first_account + plan.members))

        def account_rows() -> Iterator[tuple[object, ...]]:
            for account_id in accounts:
                first, last = rng.choice(FIRST_NAMES), rng.choice(SURNAMES)
                display = f"{ACCENTED.get(first, first.capitalize())} {ACCENTED.get(last, last.capitalize())}"
                joined = datetime.fromtimestamp(begin - rng.random() * 86400 * 365, UTC)
                yield (account_id, f"{first}.{last}.{account_id}", display, password_hash, joined, joined)

        async with conn.transaction():
            await _copy(conn, "account", ("id", "username", "display_name", "password_hash", "created_at",
                                          "password_changed_at"), account_rows())  # fmt: skip
        report.members = plan.members

    def someone() -> int:
        return accounts[int(len(accounts) * rng.random() ** 3)]

    with timer.phase("organizations"):
        first_org = await _next_id(conn, "organization")
        org_ids = list(range(first_org, first_org + plan.organization_count()))
        org_members: list[tuple[int, int, str, datetime]] = []
        org_rows: list[tuple[object, ...]] = []
        for org_id in org_ids:
            kind, label = rng.choice(ORGANIZATION_KINDS)
            zone = rng.choice(ZONES).format(surname=text.surname())
            founded = datetime.fromtimestamp(begin + rng.random() * 86400 * 30, UTC)
            members = rng.sample(accounts, min(len(accounts), rng.randint(3, 40)))
            verified = rng.random() < 0.6
            org_rows.append((
                org_id, f"org-{org_id}", f"{label} {text.surname()} {org_id}", kind, zone[:80],
                f"{label} de {zone}.".replace(" de el ", " del "), f"RUOS-{org_id:05d}", members[0], founded,
                founded if verified else None, members[0] if verified else None,
            ))  # fmt: skip
            org_members += [(org_id, a, "owner" if i == 0 else "member", founded) for i, a in enumerate(members)]
        async with conn.transaction():
            await _copy(conn, "organization", ("id", "slug", "name", "kind", "zone", "description", "registry_number",
                                               "created_by", "created_at", "verified_at", "verified_by"),
                        iter(org_rows))  # fmt: skip
            await _copy(conn, "organization_member", ("organization_id", "account_id", "role", "joined_at"),
                        iter(org_members))  # fmt: skip
        report.organizations, report.memberships = len(org_ids), len(org_members)

    # Forums: the node's categories take most threads; one organization in four has a forum of its own.
    with timer.phase("forums"):
        first_forum = await _next_id(conn, "forum")
        forum_rows: list[tuple[object, ...]] = []
        weights: list[float] = []
        for i in range(plan.categories):
            name, description = CATEGORIES[i % len(CATEGORIES)]
            forum_id = first_forum + len(forum_rows)
            forum_rows.append((forum_id, f"foro-{forum_id}", f"{name} {forum_id}", description, None, "public",
                               accounts[0], datetime.fromtimestamp(begin, UTC)))  # fmt: skip
            weights.append(float(CATEGORY_WEIGHTS[i % len(CATEGORY_WEIGHTS)]))
        for org_id in org_ids[::4]:
            forum_id = first_forum + len(forum_rows)
            visibility = "members" if rng.random() < 0.3 else "public"
            forum_rows.append((forum_id, f"foro-{forum_id}", f"Foro {org_id}", "Foro de la organización.", org_id,
                               visibility, accounts[0], datetime.fromtimestamp(begin, UTC)))  # fmt: skip
            weights.append(0.5)
        forum_ids = [int(str(row[0])) for row in forum_rows]
        async with conn.transaction():
            await _copy(conn, "forum", ("id", "slug", "name", "description", "organization_id", "visibility",
                                        "created_by", "created_at"), iter(forum_rows))  # fmt: skip
        report.forums = len(forum_rows)

    # Threads and the time of every post: each thread starts at a random moment and gets replies at random gaps.
    with timer.phase("plan posts"):
        thread_count = max(1, round(plan.posts / plan.mean_thread_length)) if plan.posts else 0
        thread_count = min(thread_count, plan.posts)
        lengths = _thread_lengths(rng, thread_count, plan.posts, plan.mean_thread_length) if thread_count else []
        window = end - begin
        starts: list[float] = []
        post_times: list[tuple[float, int]] = []
        for index, length in enumerate(lengths):
            gaps = [rng.expovariate(1.0 / MEAN_GAP_SECONDS) for _ in range(length - 1)]
            span = sum(gaps)
            if span > window * 0.9:
                scale = window * 0.9 / span
                gaps = [gap * scale for gap in gaps]
                span = window * 0.9
            moment = begin + rng.random() * (window - span)
            starts.append(moment)
            post_times.append((moment, index))
            for gap in gaps:
                moment += gap
                post_times.append((moment, index))
        post_times.sort()
        # Thread ids follow their first post, as on a live node.
        order = sorted(range(thread_count), key=starts.__getitem__)
        first_thread = await _next_id(conn, "thread")
        thread_id_of = [0] * thread_count
        for rank, index in enumerate(order):
            thread_id_of[index] = first_thread + rank
        forum_of = rng.choices(forum_ids, weights=weights, k=thread_count)
        starter = [someone() for _ in range(thread_count)]
        last_at = [0.0] * thread_count
        for moment, index in post_times:
            last_at[index] = moment

    with timer.phase("threads"):

        def thread_rows() -> Iterator[tuple[object, ...]]:
            for index in order:
                yield (thread_id_of[index], forum_of[index], text.title(), starter[index],
                       datetime.fromtimestamp(starts[index], UTC), datetime.fromtimestamp(last_at[index], UTC),
                       lengths[index])  # fmt: skip

        async with conn.transaction():
            await _copy(conn, "thread", ("id", "forum_id", "title", "author_id", "created_at", "last_post_at",
                                         "post_count"), thread_rows())  # fmt: skip
        report.threads = thread_count

    dropped: list[tuple[str, str]] = []
    if rebuild_indexes:
        with timer.phase("drop indexes"):
            dropped = await _secondary_indexes(conn, "post")
            for name, _definition in dropped:
                await conn.execute(f'DROP INDEX "{name}"')

    reactions: list[tuple[int, int, str, datetime]] = []
    with timer.phase("posts"):
        first_post = await _next_id(conn, "post")
        recent: dict[int, list[int]] = {}

        def post_rows() -> Iterator[tuple[object, ...]]:
            for offset, (moment, index) in enumerate(post_times):
                post_id = first_post + offset
                created = datetime.fromtimestamp(moment, UTC)
                earlier = recent.get(index)
                if earlier is None:
                    author, reply_to, earlier = starter[index], None, []
                    recent[index] = earlier
                else:
                    author = someone()
                    reply_to = rng.choice(earlier) if rng.random() < REPLY_RATE else None
                if earlier and rng.random() < DELETED_RATE:
                    deleted_at = datetime.fromtimestamp(min(moment + 3600.0, end), UTC)
                    yield (post_id, thread_id_of[index], author, reply_to, "", "", created, deleted_at)
                else:
                    source, html = text.body()
                    yield (post_id, thread_id_of[index], author, reply_to, source, html, created, None)
                    if rng.random() < REACTION_RATE:
                        when = datetime.fromtimestamp(min(moment + 600.0, end), UTC)
                        for account_id in {someone() for _ in range(rng.randint(1, 4))}:
                            reactions.append((post_id, account_id, rng.choice(REACTIONS), when))
                earlier.append(post_id)
                if len(earlier) > 5:
                    del earlier[0]

        columns = ("id", "thread_id", "author_id", "reply_to_id", "source", "html", "created_at", "deleted_at")
        for chunk in _chunks(post_rows(), COPY_CHUNK):
            async with conn.transaction():
                await _copy(conn, "post", columns, iter(chunk))
        report.posts = len(post_times)

    with timer.phase("reactions"):
        async with conn.transaction():
            await _copy(conn, "reaction", ("post_id", "account_id", "kind", "created_at"), iter(reactions))
        report.reactions = len(reactions)

    if dropped:
        with timer.phase("create indexes"):
            await conn.execute("SET maintenance_work_mem = '1GB'")
            for _name, definition in dropped:
                await conn.execute(definition)
            await conn.execute("RESET maintenance_work_mem")

    with timer.phase("vacuum analyze"):
        await conn.execute("UPDATE forum f SET thread_count = (SELECT count(*) FROM thread t WHERE t.forum_id = f.id)")
        for table in ("account", "organization", "forum", "thread", "post"):
            await conn.execute(
                f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT coalesce(max(id), 1) FROM {table}))"  # noqa: S608
            )
        for table in ("account", "organization", "organization_member", "forum", "thread", "post", "reaction"):
            await conn.execute(f"VACUUM (ANALYZE) {table}")
    return report


async def _main(args: argparse.Namespace) -> int:
    from deliberate.accounts.passwords import Passwords

    plan = Plan(members=args.members, posts=args.posts, mean_thread_length=args.mean_thread_length, seed=args.seed)
    password_hash = await Passwords().hash(args.password)
    conn = await connect(args.database_url)
    try:
        report = await load(
            conn, plan, now=datetime.now(UTC).replace(microsecond=0) - timedelta(minutes=1),
            password_hash=password_hash, rebuild_indexes=args.rebuild_indexes,
        )  # fmt: skip
    finally:
        await conn.close()
    print(report.summary())
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m deliberate.runtime.loadgen",
        description="Load synthetic members, forums, threads and posts into a benchmark or development database.",
    )
    parser.add_argument("--database-url", required=True, help="PostgreSQL URL of a migrated, disposable database")
    parser.add_argument("--members", type=int, default=1000)
    parser.add_argument("--posts", type=int, default=10_000)
    parser.add_argument("--mean-thread-length", type=float, default=12.0)
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--password", default="carga-clave-2026", help="every generated member's password")
    parser.add_argument(
        "--rebuild-indexes", action=argparse.BooleanOptionalAction, default=None,
        help="drop the post table's secondary indexes during the load (default: from 100,000 posts on)",
    )  # fmt: skip
    return asyncio.run(_main(parser.parse_args(argv)))


if __name__ == "__main__":
    sys.exit(main())
