"""Synthetic national-scale data for benchmarks. Never loaded by default; never real.

Every synthetic row says so where people look: names start with "SYNTETISK", slugs with
"syntetisk-", the counties are "Syntetiskt län (testdata)", and every citation points at a
source titled as synthetic test data. Municipality codes 9000-9999 are not used by Sweden.
"""

import random
import time
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from agreements import changefeed, opportunities
from agreements.cache import bump
from agreements.models import (
    Citation,
    Cooperation,
    County,
    Municipality,
    Objection,
    Party,
    PlannedProcurement,
    Post,
    ProcurementBuyer,
    SourceDocument,
    StaffingCommitment,
)
from agreements.search import build_search_document

MARK = "SYNTETISK"
SLUG = "syntetisk"
BASE_TIME = datetime(2026, 1, 1, tzinfo=UTC)
TOPICS = [
    "livsmedel", "skolskjuts", "städtjänster", "vinterväghållning", "IT-drift", "hemtjänst",
    "fordon", "kontorsmaterial", "byggentreprenad", "konsulttjänster", "energi", "tolktjänster",
    "avfallshantering", "möbler", "läromedel", "parkskötsel", "fastighetsservice", "telefoni",
]  # fmt: skip
WORDS = [
    "upphandling", "avtal", "samordning", "ramavtal", "förnyelse", "kommunerna", "gemensam",
    "leverans", "kvalitet", "uppföljning", "krav", "anbud", "utvärdering", "volymer", "priser",
    "hållbarhet", "miljökrav", "direktupphandling", "inköp", "beställare",
]  # fmt: skip
CPV = [
    "15000000-8", "60130000-8", "90910000-9", "90620000-9", "72000000-5", "85312000-9",
    "34100000-8", "30192000-1", "45000000-7", "79400000-8", "09300000-2", "79540000-1",
]  # fmt: skip
LOOSE_LEVELS = ["mentioned", "ambition", "intent"]


class Command(BaseCommand):
    help = "Generate synthetic national-scale data (clearly marked) for benchmarks."

    def add_arguments(self, parser):
        parser.add_argument("--municipalities", type=int, default=290)
        parser.add_argument("--cooperations", type=int, default=5000)
        parser.add_argument("--procurements", type=int, default=100_000)
        parser.add_argument("--seed", type=int, default=2026, help="Random seed (deterministic).")
        parser.add_argument("--batch-size", type=int, default=5000)
        parser.add_argument(
            "--replace", action="store_true", help="Delete earlier synthetic data first."
        )

    def handle(self, *args, **opts):
        if not 1 <= opts["municipalities"] <= 1000:
            raise CommandError("--municipalities must be between 1 and 1000 (codes 9000-9999).")
        if opts["cooperations"] < 0 or opts["procurements"] < 0:
            raise CommandError("Counts cannot be negative.")
        self.rng = random.Random(opts["seed"])
        self.batch = opts["batch_size"]
        started = time.monotonic()
        # Bulk inserts send no signals and the deletes would look up each row's records one by
        # one: the change feed is brought up to date once, at the end, in the same transaction.
        with transaction.atomic(), changefeed.suspended():
            if opts["replace"]:
                self.delete_synthetic()
            elif Municipality.objects.filter(slug__startswith=f"{SLUG}-").exists():
                raise CommandError("Synthetic data exists already; use --replace.")
            municipalities = self.municipalities(opts["municipalities"])
            sources = self.sources(municipalities)
            self.cooperations(opts["cooperations"], municipalities, sources)
            self.procurements(opts["procurements"], municipalities, sources)
            self.source_texts(sources)
            # Bulk inserts send no signals: count the change, in the same transaction.
            bump()
            changefeed.reconcile()
            opportunities.rebuild()
        self.stdout.write(
            self.style.SUCCESS(f"Synthetic data generated in {time.monotonic() - started:.1f} s")
        )

    # --- helpers ---------------------------------------------------------------------------

    def when(self):
        return BASE_TIME + timedelta(minutes=self.rng.randrange(0, 60 * 24 * 300))

    def text(self, n=12):
        return " ".join(self.rng.choice(WORDS) for _ in range(n)).capitalize() + "."

    def create(self, model, rows):
        created = model.objects.bulk_create(rows, batch_size=self.batch)
        self.stdout.write(f"  {model._meta.verbose_name_plural}: {len(created)}")
        return created

    def delete_synthetic(self):
        prefix = f"{SLUG}-"
        Citation.objects.filter(source__slug__startswith=prefix).delete()
        PlannedProcurement.objects.filter(slug__startswith=prefix).delete()
        StaffingCommitment.objects.filter(cooperation__slug__startswith=prefix).update(
            supersedes=None
        )
        Cooperation.objects.filter(slug__startswith=prefix).delete()
        Post.objects.filter(slug__startswith=prefix).delete()
        SourceDocument.objects.filter(slug__startswith=prefix).delete()
        Municipality.objects.filter(slug__startswith=prefix).delete()
        County.objects.filter(name__startswith="Syntetiskt län").delete()

    # --- generators --------------------------------------------------------------------------

    def municipalities(self, count):
        codes = [f"{9000 + i}" for i in range(count)]
        counties = {
            c.code: c
            for c in self.create(
                County,
                [County(code=p, name=f"Syntetiskt län {p} (testdata)")
                 for p in sorted({code[:2] for code in codes})],
            )
        }  # fmt: skip
        return self.create(
            Municipality,
            [
                Municipality(
                    name=f"{MARK} kommun {code}", slug=f"{SLUG}-{code}", code=code,
                    county=counties[code[:2]], updated_at=self.when(),
                )
                for code in codes
            ],
        )  # fmt: skip

    def cite(self, source, quote, **target):
        """A citation placed in its synthetic source's text, as a real one would be checked.

        Bulk inserts skip Citation.save(), so the text and positions are built here: each
        source's text is its quotes, one a line. Each names what it is about and ends in a
        full stop, so that no quote is part of another and every one occurs exactly once.
        """
        lines = self.source_lines[source.pk]
        start = sum(len(line) + 1 for line in lines)
        lines.append(quote)
        return Citation(source=source, quote=quote, start=start, end=start + len(quote), **target)

    def source_texts(self, sources):
        for source in sources:
            source.text = "\n".join(self.source_lines[source.pk])
        SourceDocument.objects.bulk_update(sources, ["text"], batch_size=self.batch)

    def sources(self, municipalities):
        created = self.create(
            SourceDocument,
            [
                SourceDocument(
                    slug=f"{SLUG}-kalla-{m.code}",
                    title=f"{MARK}A TESTDATA – inga verkliga uppgifter ({m.code})",
                    kind=SourceDocument.Kind.OTHER, issuing_municipality=m,
                    updated_at=self.when(),
                )
                for m in municipalities
            ],
        )  # fmt: skip
        self.source_lines = {s.pk: [f"{s.title}."] for s in created}
        return created

    def cooperations(self, count, municipalities, sources):
        rng = self.rng
        forms = [f for f, _ in Cooperation.Form.choices]
        rows, members = [], []
        for i in range(count):
            form = rng.choice(forms)
            chosen = rng.sample(municipalities, rng.randint(2, 4))
            binding = form not in Cooperation.NON_BINDING_FORMS and rng.random() < 0.8
            host = chosen[0] if binding and form in ("agreement", "joint_committee") else None
            name = f"{MARK} samverkan {i:05d}: {rng.choice(TOPICS)}"
            description = self.text()
            rows.append(
                Cooperation(
                    name=name, slug=f"{SLUG}-samverkan-{i:05d}", form=form,
                    legally_binding=binding, host=host, has_host=True if host else None,
                    status=rng.choice(["proposed", "active", "active", "ended", "rejected"]),
                    description=description, updated_at=self.when(),
                    search_document=build_search_document(name, description, ""),
                )
            )  # fmt: skip
            members.append((chosen, host))
        cooperations = self.create(Cooperation, rows)
        parties, posts, plan = [], [], []
        for coop, (chosen, host) in zip(cooperations, members, strict=True):
            for m in chosen:
                # Bound by the agreement where it is binding; elsewhere only as far as a source
                # would say: mentioned, an ambition or a letter of intent, with no party role.
                if coop.legally_binding:
                    level, role = "agreement", ("host" if m == host else "participant")
                else:
                    level, role = rng.choice(LOOSE_LEVELS), rng.choice(["", "observer", "invited"])
                parties.append(Party(cooperation=coop, municipality=m, level=level, role=role))
            if host is not None:
                posts.append(Post(employer=host, slug=f"{SLUG}-tjanst-{coop.pk}",
                                  name=f"{MARK} upphandlartjänst {coop.pk}"))  # fmt: skip
                plan.append((coop, [m for m in chosen if m != host][:2]))
        self.create(Party, parties)
        posts = self.create(Post, posts)
        first, second = [], []
        for post, (coop, financers) in zip(posts, plan, strict=True):
            for m in financers:
                first.append(StaffingCommitment(
                    cooperation=coop, post=post, financer=m, sequence=1,
                    fte=Decimal(rng.choice(["0.20", "0.25", "0.30"])),
                ))  # fmt: skip
        first = self.create(StaffingCommitment, first)
        for old in first:
            if rng.random() < 0.5:
                second.append(StaffingCommitment(
                    cooperation_id=old.cooperation_id, post_id=old.post_id,
                    financer_id=old.financer_id, sequence=2, supersedes=old,
                    fte=Decimal(rng.choice(["0.40", "0.50"])),
                ))  # fmt: skip
        self.create(StaffingCommitment, second)
        objections = [
            Objection(cooperation=c, position=1, argument=self.text(6))
            for c in cooperations
            if c.form == "study"
        ]
        self.create(Objection, objections)
        by_code = {s.issuing_municipality_id: s for s in sources}
        self.create(
            Citation,
            [
                self.cite(by_code[chosen[0].pk], f"{MARK}T CITAT OM SAMVERKAN {c.pk}.",
                          key=f"{SLUG}-samverkan-{c.pk}", cooperation=c)
                for c, (chosen, _host) in zip(cooperations, members, strict=True)
            ],
        )  # fmt: skip
        self.cooperation_pool = cooperations

    def procurements(self, count, municipalities, sources):
        rng = self.rng
        statuses = [s for s, _ in PlannedProcurement.Status.choices]
        pool = getattr(self, "cooperation_pool", [])
        created_total = 0
        by_code = {s.issuing_municipality_id: s for s in sources}
        for start in range(0, count, self.batch):
            rows, buyers_for = [], []
            for i in range(start, min(count, start + self.batch)):
                year = rng.randint(2025, 2030)
                title = f"{MARK} upphandling {i:06d}: {rng.choice(TOPICS)}"
                description = self.text()
                cpv = rng.choice(CPV) if rng.random() < 0.7 else ""
                value = None
                if rng.random() < 0.5:
                    value = Decimal(rng.randrange(100_000, 50_000_000, 1000))
                rows.append(
                    PlannedProcurement(
                        title=title, slug=f"{SLUG}-upphandling-{i:06d}", description=description,
                        status=rng.choice(statuses), procurement_year=year,
                        contract_start_year=year + rng.randint(0, 2), cpv_code=cpv,
                        estimated_value=value, currency="SEK" if value is not None else "",
                        cooperation=rng.choice(pool) if pool and rng.random() < 0.3 else None,
                        updated_at=self.when(),
                        search_document=build_search_document(title, description, "", cpv),
                    )
                )  # fmt: skip
                n = 1 if rng.random() < 0.75 else rng.randint(2, 3)
                buyers_for.append(rng.sample(municipalities, n))
            created = PlannedProcurement.objects.bulk_create(rows, batch_size=self.batch)
            buyers, citations = [], []
            for procurement, chosen in zip(created, buyers_for, strict=True):
                for j, m in enumerate(chosen):
                    buyers.append(
                        ProcurementBuyer(procurement=procurement, municipality=m, is_lead=j == 0)
                    )
                if procurement.pk % 10 == 0:
                    citations.append(self.cite(
                        by_code[chosen[0].pk], f"{MARK}T CITAT OM UPPHANDLING {procurement.pk}.",
                        key=f"{SLUG}-upphandling-{procurement.pk}", procurement=procurement,
                    ))  # fmt: skip
            ProcurementBuyer.objects.bulk_create(buyers, batch_size=self.batch)
            Citation.objects.bulk_create(citations, batch_size=self.batch)
            created_total += len(created)
        self.stdout.write(f"  planerade upphandlingar: {created_total}")
