"""The JSON API's records: codes for machines, labels and the registry's texts for people.

Every derived fact (how far a municipality is bound, who said a judgement, as of when a record
holds, what a municipality pays) comes from `agreements.facts`, as on the pages. Labels and
texts are written in the request's language (`?lang=`); codes never change.

Views attach citations before serializing (`facts.cite_records`, `attach_citations`), so that
`as_of` and `provenance` cost no query per row.
"""

from functools import cached_property

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from .. import facts
from ..documents import Format
from ..models import (
    AgreementVersion,
    Citation,
    Claim,
    Cooperation,
    Municipality,
    Objection,
    Party,
    PlannedProcurement,
    ProcurementBuyer,
    Proposal,
    SourceDocument,
    StaffingCommitment,
)
from . import rest
from .rest import CalledField, CanonicalHyperlinkedIdentityField

UNKNOWN_HELP = " Null when the source does not say (unknown, not no)."


def blank_to_none(value):
    return value if value not in ("", None) else None


def citation_id(citation):
    """How the API addresses a citation: "<source>.<key>", as /api/v1/citations/<id>/."""
    return f"{citation.source.slug}.{citation.key}"


# --- shared pieces --------------------------------------------------------------------------


@extend_schema_field(
    {
        "type": "object",
        "description": (
            "What supports each structured value of the record, by field name: `status` is "
            "`cited` (a citation states it), `interpreted` (the registry reads it from a "
            "citation; `interpretations` give its reasoning), `unknown` (the source says "
            "nothing) or `missing` (no source: a defect). `text` is the value as the pages "
            "write it; `citations` are ids for /api/v1/citations/{id}/."
        ),
        "additionalProperties": {
            "type": "object",
            "properties": {
                "status": {
                    "type": "string",
                    "enum": [facts.CITED, facts.INTERPRETED, facts.UNKNOWN, facts.MISSING],
                },
                "text": {"type": "string"},
                "citations": {"type": "array", "items": {"type": "string"}},
                "interpretations": {"type": "array", "items": {"type": "string"}},
            },
            "required": ["status", "text", "citations", "interpretations"],
        },
    }
)
class ProvenanceField(serializers.Field):
    """facts.provenance for every field in facts.PROVENANCE_FIELDS of the record."""

    def __init__(self, **kwargs):
        kwargs.setdefault("source", "*")
        kwargs.setdefault("read_only", True)
        super().__init__(**kwargs)

    def to_representation(self, obj):
        result = {}
        for name in facts.PROVENANCE_FIELDS[type(obj)]:
            found = facts.provenance(obj, name)
            result[name] = {
                "status": found.status,
                "text": str(found.text),
                "citations": [citation_id(c) for c in found.citations],
                "interpretations": [c.interpretation for c in found.interpretations],
            }
        return result


class AsOfMixin(rest.Serializer):
    """As of when a record holds: the newest date of the sources behind it and its rows."""

    as_of = serializers.SerializerMethodField(
        help_text="The date of the newest source behind the record; null when all are undated."
    )
    as_of_text = serializers.SerializerMethodField(
        help_text=(
            "As of when, in words, as on the pages: 'enligt en odaterad källa', 'enligt källa "
            "daterad 2025-11-20', or 'nu (bekräftat …)' only for a recently dated source."
        )
    )
    as_of_sources = serializers.SerializerMethodField(
        help_text="Slugs of the sources the record's facts rest on."
    )

    def _as_of(self, obj):
        # Three fields read it: derive it once per record, not once per field.
        found = getattr(obj, "_serialized_as_of", None)
        if found is None:
            # A list that only says as of when attaches it alone (facts.attach_as_of).
            found = getattr(obj, "row_as_of", None) or facts.as_of(obj.about)
            obj._serialized_as_of = found
        return found

    @extend_schema_field({"type": "string", "format": "date", "nullable": True})
    def get_as_of(self, obj):
        found = self._as_of(obj)
        return found.date.isoformat() if found.date else None

    def get_as_of_text(self, obj) -> str:
        return str(self._as_of(obj).text)

    def get_as_of_sources(self, obj) -> list[str]:
        return [source.slug for source in self._as_of(obj).sources]


class NullableChoiceField(serializers.ChoiceField):
    """A code that may be unknown: a blank choice is written as null."""

    def __init__(self, **kwargs):
        kwargs.setdefault("allow_null", True)
        kwargs.setdefault("read_only", True)
        super().__init__(**kwargs)

    def to_representation(self, value):
        return None if value in ("", None) else super().to_representation(value)


def label_field(help_text="The code in words, in the request's language."):
    return serializers.SerializerMethodField(help_text=help_text)


def _label(obj, name):
    return facts.label(obj, name) if getattr(obj, name) else None


# --- municipalities -------------------------------------------------------------------------


class MunicipalityRefSerializer(rest.ModelSerializer):
    class Meta:
        model = Municipality
        fields = ["code", "slug", "name"]


class CooperationRefSerializer(rest.ModelSerializer):
    html_url = CalledField(source="get_absolute_url")

    class Meta:
        model = Cooperation
        fields = ["slug", "name", "html_url"]


class PartySerializer(rest.ModelSerializer):
    """How far one municipality is committed to one cooperation, on the sources' ladder."""

    municipality = MunicipalityRefSerializer()
    level = serializers.ChoiceField(
        choices=Party.Level.choices,
        help_text=(
            "How far the municipality is committed: mentioned, ambition (oral, not binding), "
            "intent (letter of intent), decision, agreement, left. Only decision and agreement "
            "make it a party."
        ),
    )
    level_label = label_field()
    is_bound = serializers.BooleanField(
        help_text="True for a decision or an agreement entered into: only then is it a party."
    )
    role = NullableChoiceField(
        choices=Party.Role.choices, help_text="Null when the source gives no role."
    )
    role_label = label_field()
    decision_body = serializers.SerializerMethodField()
    decision_reference = serializers.SerializerMethodField()
    provenance = ProvenanceField()

    class Meta:
        model = Party
        fields = [
            "municipality",
            "level",
            "level_label",
            "is_bound",
            "role",
            "role_label",
            "decision_body",
            "decision_date",
            "decision_reference",
            "start_date",
            "end_date",
            "note",
            "provenance",
        ]

    def get_level_label(self, obj) -> str:
        return facts.label(obj, "level")

    @extend_schema_field({"type": "string", "enum": Party.Role.values, "nullable": True})
    def get_role(self, obj):
        return blank_to_none(obj.role)

    @extend_schema_field({"type": "string", "nullable": True})
    def get_role_label(self, obj):
        return _label(obj, "role")

    @extend_schema_field({"type": "string", "nullable": True})
    def get_decision_body(self, obj):
        return blank_to_none(obj.decision_body)

    @extend_schema_field({"type": "string", "nullable": True})
    def get_decision_reference(self, obj):
        return blank_to_none(obj.decision_reference)


class RelationSerializer(PartySerializer):
    """A municipality's relation to one cooperation (the same row, seen from the municipality)."""

    cooperation = CooperationRefSerializer()

    class Meta(PartySerializer.Meta):
        fields = ["cooperation", *PartySerializer.Meta.fields[1:]]


class ClaimSerializer(rest.ModelSerializer):
    """A public statement and how a source assessed it: the speaker's view, never the registry's."""

    made_by = MunicipalityRefSerializer()
    assessment = serializers.ChoiceField(choices=Claim.Assessment.choices)
    assessment_label = serializers.SerializerMethodField(
        help_text=(
            "The assessment in words with who made it, never bare (the registry assesses "
            "nothing itself): the same text as assessment_text. The code is `assessment`."
        )
    )
    assessment_text = serializers.SerializerMethodField(
        help_text=(
            "The assessment with its speaker, as the pages write it: 'Missvisande enligt "
            "Caroline Dieker (M), kommunstyrelsens ordförande'."
        )
    )
    assessed_by = serializers.SerializerMethodField(
        help_text="Who made the assessment ('enligt …'); null when it is not assessed."
    )
    html_url = CalledField(source="get_absolute_url")
    provenance = ProvenanceField()

    class Meta:
        model = Claim
        fields = [
            "slug",
            "statement",
            "made_by",
            "channel",
            "assessment",
            "assessment_label",
            "assessment_text",
            "assessed_by",
            "assessment_note",
            "html_url",
            "provenance",
        ]

    def get_assessment_label(self, obj) -> str:
        return str(facts.assessment_text(obj))

    def get_assessment_text(self, obj) -> str:
        return str(facts.assessment_text(obj))

    @extend_schema_field({"type": "string", "nullable": True})
    def get_assessed_by(self, obj):
        return blank_to_none(str(facts.attribution(obj, "assessment")))


class MunicipalitySerializer(AsOfMixin, rest.HyperlinkedModelSerializer):
    url = CanonicalHyperlinkedIdentityField(
        view_name="api:municipality-detail", lookup_field="slug"
    )
    county = serializers.SerializerMethodField()
    website = serializers.CharField(help_text="Its website; empty when not recorded.")
    organisation_number = serializers.SerializerMethodField(
        help_text="Organisationsnummer, 212000-0000; null until checked (never guessed)."
    )
    cooperation_count = serializers.IntegerField(
        read_only=True,
        help_text=(
            "Cooperations the municipality is bound to by a decision or an agreement entered into. "
            "A mention, an ambition or a letter of intent is not counted here."
        ),
    )
    mentioned_count = serializers.IntegerField(
        read_only=True,
        help_text=(
            "Cooperations the sources name it in without binding it (mentioned, oral "
            "ambition, letter of intent)."
        ),
    )
    current_financed_fte = serializers.SerializerMethodField(
        help_text=(
            "The known sum of the latest known shares of posts it finances "
            "(decimal as a string), as of the sources' date (as_of), not necessarily today. "
            "Null when it is not known: it employs a post others co-finance and the sources do "
            "not say its own share."
        )
    )
    current_financed_fte_reading = serializers.SerializerMethodField(
        help_text=(
            "How current_financed_fte divides by what supports its shares (decimals as "
            "strings): `stated` by the sources' words, `interpreted` by the registry's reading "
            "of them, `missing` by no source. The three add up to current_financed_fte; null "
            "when that is null (not known)."
        )
    )
    own_share_unknown = serializers.BooleanField(
        read_only=True,
        help_text=(
            "True when it employs a post that others co-finance and its own share is not "
            "stated: the known sum is then not all it pays."
        ),
    )
    financing_text = serializers.SerializerMethodField(
        help_text="What it pays for posts as far as the sources say, in words, as on the pages."
    )
    html_url = CalledField(source="get_absolute_url")

    class Meta:
        model = Municipality
        fields = [
            "url",
            "html_url",
            "code",
            "slug",
            "name",
            "county",
            "website",
            "organisation_number",
            "cooperation_count",
            "mentioned_count",
            "current_financed_fte",
            "current_financed_fte_reading",
            "own_share_unknown",
            "financing_text",
            "as_of",
            "as_of_text",
            "as_of_sources",
            "updated_at",
        ]

    def get_county(self, obj) -> dict:
        return {"code": obj.county.code, "name": obj.county.name}

    @extend_schema_field({"type": "string", "nullable": True})
    def get_organisation_number(self, obj):
        return blank_to_none(obj.organisation_number)

    @extend_schema_field({"type": "string", "format": "decimal", "nullable": True})
    def get_current_financed_fte(self, obj):
        value = facts.financed_fte(obj)
        return None if value is None else f"{value:.2f}"

    @extend_schema_field(
        {
            "type": "object",
            "properties": {
                key: {"type": "string", "format": "decimal"}
                for key in ("stated", "interpreted", "missing")
            },
            "required": ["stated", "interpreted", "missing"],
            "nullable": True,
        }
    )
    def get_current_financed_fte_reading(self, obj):
        split = facts.financing_split(obj)
        return None if split is None else {key: f"{value:.2f}" for key, value in split.items()}

    def get_financing_text(self, obj) -> str:
        return str(facts.financing_text(obj))


class PostSerializer(rest.Serializer):
    employer = serializers.CharField(source="employer.code")
    slug = serializers.CharField()
    name = serializers.CharField()
    title = serializers.CharField()
    employer_share = serializers.DecimalField(
        max_digits=4,
        decimal_places=2,
        allow_null=True,
        help_text="What the employer pays of the post itself." + UNKNOWN_HELP,
    )
    # Whose post it is can be the registry's reading (Hallsberg's 0,3 post): said here as on
    # the pages, not left to look stated.
    provenance = ProvenanceField()


class MunicipalityDetailSerializer(MunicipalitySerializer):
    relations = RelationSerializer(
        source="listed_relations",
        many=True,
        help_text=(
            "Every cooperation the sources connect it with, and how far it is bound to each. "
            "Only rows with is_bound count in cooperation_count."
        ),
    )
    claims = ClaimSerializer(
        source="listed_claims", many=True, help_text="Public statements it made, as assessed."
    )
    posts = PostSerializer(
        source="listed_posts",
        many=True,
        help_text=(
            "The posts it employs, as its page lists them; whose post it is can be the "
            "registry's reading (provenance.employer)."
        ),
    )

    class Meta(MunicipalitySerializer.Meta):
        fields = [*MunicipalitySerializer.Meta.fields, "relations", "claims", "posts"]


# --- cooperations ---------------------------------------------------------------------------


@extend_schema_field(
    {
        "type": "array",
        "items": {"oneOf": [{"type": "string"}, {"type": "integer"}]},
        "nullable": True,
        "description": (
            "A commitment's key: [cooperation, post employer code, post slug, financer code, "
            "sequence], as in a citation's about.key."
        ),
    }
)
class CommitmentKeyField(serializers.Field):
    """A commitment's natural key; a neighbour in the same history is taken from the context's
    `commitments` (pk -> loaded commitment), so that naming it costs no query."""

    def __init__(self, **kwargs):
        kwargs.setdefault("read_only", True)
        kwargs.setdefault("allow_null", True)  # a missing reverse one-to-one gives null
        super().__init__(**kwargs)

    def to_representation(self, commitment):
        loaded = self.context.get("commitments", {}).get(commitment.pk, commitment)
        return list(loaded.natural_key())


class CommitmentSerializer(rest.ModelSerializer):
    key = CommitmentKeyField(source="*")
    financer = MunicipalityRefSerializer()
    post = PostSerializer()
    fte = serializers.DecimalField(
        max_digits=4,
        decimal_places=2,
        allow_null=True,
        help_text="The share of a full-time post." + UNKNOWN_HELP,
    )
    agreement_version = serializers.SerializerMethodField(
        help_text="The sequence of the agreement version that made the commitment, if known."
    )
    supersedes = CommitmentKeyField(
        help_text="The commitment this one replaced; it may be on another post."
    )
    superseded_by = CommitmentKeyField()
    is_current = serializers.BooleanField(
        help_text=(
            "True for the latest share known in its chain (not superseded, not ended, not "
            "starting later). It holds as of the sources' date (see the cooperation's as_of), "
            "not necessarily today: from an undated source it is only the latest known. Whether "
            "a source states it is in provenance."
        )
    )
    state = serializers.SerializerMethodField(
        help_text=(
            "The share's place in its chain: current (the latest known; in force now only if "
            "a dated source confirmed it recently, see "
            "state_label and as_of), future (starts later), ended or superseded."
        )
    )
    state_label = serializers.SerializerMethodField(
        help_text=(
            "The state in words, as on the pages: 'latest known', or 'in force now "
            "(confirmed …)' only when a dated source confirmed it within the registry's period."
        )
    )
    provenance = ProvenanceField()

    class Meta:
        model = StaffingCommitment
        fields = [
            "key",
            "financer",
            "post",
            "fte",
            "sequence",
            "agreement_version",
            "supersedes",
            "superseded_by",
            "is_current",
            "state",
            "state_label",
            "start_date",
            "end_date",
            "note",
            "provenance",
        ]

    @extend_schema_field({"type": "integer", "nullable": True})
    def get_agreement_version(self, obj):
        if obj.agreement_version_id is None:
            return None
        sequences = self.context.get("version_sequences")
        if sequences is not None and obj.agreement_version_id in sequences:
            return sequences[obj.agreement_version_id]
        return obj.agreement_version.sequence

    @extend_schema_field({"type": "string", "enum": StaffingCommitment.State.values})
    def get_state(self, obj):
        return obj.state().value

    def get_state_label(self, obj) -> str:
        return str(facts.state_text(obj))


class AgreementVersionSerializer(rest.ModelSerializer):
    kind_label = label_field()
    prompted_by = serializers.SlugRelatedField(
        slug_field="slug",
        read_only=True,
        allow_null=True,
        help_text="The cooperation (for example a study) that led to this version, if any.",
    )
    html_url = CalledField(source="get_absolute_url")
    provenance = ProvenanceField()

    class Meta:
        model = AgreementVersion
        fields = [
            "sequence",
            "kind",
            "kind_label",
            "summary",
            "date",
            "prompted_by",
            "html_url",
            "provenance",
        ]
        extra_kwargs = {
            "sequence": {"help_text": "1 for the original agreement, then in the order they came."},
            "date": {
                "help_text": "When the version took effect; null when the source does not say."
            },
        }

    def get_kind_label(self, obj) -> str:
        return facts.label(obj, "kind")


class ProposalSerializer(rest.ModelSerializer):
    status_label = label_field()
    proposed_in = serializers.SlugRelatedField(
        slug_field="slug",
        read_only=True,
        allow_null=True,
        help_text="The cooperation (for example a study) that made the proposal, if known.",
    )
    municipalities = MunicipalityRefSerializer(
        many=True,
        help_text=(
            "Municipalities the proposal names as included; not necessarily all ('där även "
            "Askersund ingår' names one among others)."
        ),
    )
    html_url = CalledField(source="get_absolute_url")
    provenance = ProvenanceField()

    class Meta:
        model = Proposal
        fields = [
            "position",
            "summary",
            "status",
            "status_label",
            "proposed_in",
            "municipalities",
            "html_url",
            "provenance",
        ]

    def get_status_label(self, obj) -> str:
        return facts.label(obj, "status")


class ObjectionSerializer(rest.ModelSerializer):
    raised_by = serializers.CharField(
        source="raised_by_description", help_text="Who raised it, as the source says."
    )
    raised_by_municipality = MunicipalityRefSerializer(source="raised_by", allow_null=True)
    attribution = serializers.SerializerMethodField(
        help_text="Who reports the objection: 'enligt Caroline Dieker (M), …'; null if no source."
    )
    provenance = ProvenanceField()

    class Meta:
        model = Objection
        fields = [
            "position",
            "argument",
            "raised_by",
            "raised_by_municipality",
            "attribution",
            "provenance",
        ]

    @extend_schema_field({"type": "string", "nullable": True})
    def get_attribution(self, obj):
        return blank_to_none(str(facts.attribution(obj, "argument")))


class CooperationSerializer(AsOfMixin, rest.HyperlinkedModelSerializer):
    url = CanonicalHyperlinkedIdentityField(view_name="api:cooperation-detail", lookup_field="slug")
    html_url = CalledField(source="get_absolute_url")
    form_label = label_field()
    status_label = label_field()
    legally_binding = serializers.BooleanField(
        allow_null=True, help_text="Whether it binds its parties legally." + UNKNOWN_HELP
    )
    has_host = serializers.BooleanField(
        allow_null=True,
        help_text="Whether one municipality does the work for the others." + UNKNOWN_HELP,
    )
    host = serializers.SlugRelatedField(
        slug_field="slug",
        read_only=True,
        allow_null=True,
        help_text="The party with the host role; null when there is none or it is unknown.",
    )
    party_count = serializers.SerializerMethodField(
        help_text="Municipalities bound by a decision or an agreement entered into: the parties."
    )
    parties = serializers.SerializerMethodField(
        help_text="The parties: municipalities bound by a decision or an agreement entered into."
    )
    other_municipalities = serializers.SerializerMethodField(
        help_text=(
            "Municipalities the sources name in the cooperation without binding them "
            "(mentioned, oral ambition, letter of intent) or that have left. Not parties."
        )
    )
    provenance = ProvenanceField()

    class Meta:
        model = Cooperation
        fields = [
            "url",
            "html_url",
            "slug",
            "name",
            "form",
            "form_label",
            "legally_binding",
            "status",
            "status_label",
            "has_host",
            "host",
            "start_date",
            "end_date",
            "party_count",
            "parties",
            "other_municipalities",
            "as_of",
            "as_of_text",
            "as_of_sources",
            "provenance",
            "updated_at",
        ]

    def get_form_label(self, obj) -> str:
        return facts.label(obj, "form")

    def get_status_label(self, obj) -> str:
        return facts.label(obj, "status")

    def get_party_count(self, obj) -> int:
        return len(facts.split_parties(obj.parties.all())[0])

    @cached_property
    def _party_rows(self):
        # One serializer for every row of a list: a new one per cooperation built its fields
        # from the model again, twice a row, which was most of an uncached API page's time.
        return PartySerializer(many=True, context=self.context)

    @extend_schema_field(PartySerializer(many=True))
    def get_parties(self, obj):
        bound, _others = facts.split_parties(obj.parties.all())
        return self._party_rows.to_representation(bound)

    @extend_schema_field(PartySerializer(many=True))
    def get_other_municipalities(self, obj):
        _bound, others = facts.split_parties(obj.parties.all())
        return self._party_rows.to_representation(others)


class VersionRefSerializer(rest.ModelSerializer):
    """A version of another cooperation's agreement, named from the cooperation that led to it."""

    cooperation = serializers.SlugRelatedField(
        slug_field="slug", read_only=True, help_text="The cooperation whose agreement it is."
    )
    html_url = CalledField(source="get_absolute_url")

    class Meta:
        model = AgreementVersion
        fields = ["cooperation", "sequence", "kind", "html_url"]


class ProposalRefSerializer(rest.ModelSerializer):
    """A proposal about another cooperation, named from the cooperation that made it."""

    cooperation = serializers.SlugRelatedField(
        slug_field="slug", read_only=True, help_text="The cooperation the proposal is about."
    )
    html_url = CalledField(source="get_absolute_url")

    class Meta:
        model = Proposal
        fields = ["cooperation", "position", "html_url"]


class CooperationDetailSerializer(CooperationSerializer):
    record_keeper = serializers.SlugRelatedField(
        slug_field="slug",
        read_only=True,
        allow_null=True,
        help_text="The municipality responsible for keeping the record current, if known.",
    )
    versions = AgreementVersionSerializer(
        many=True, help_text="The agreement's versions, in the order they came."
    )
    proposals = ProposalSerializer(many=True)
    staffing_history = serializers.SerializerMethodField()
    objections = ObjectionSerializer(many=True)
    led_to = serializers.SlugRelatedField(slug_field="slug", many=True, read_only=True)
    arose_from = serializers.SlugRelatedField(slug_field="slug", many=True, read_only=True)
    prompted_versions = VersionRefSerializer(
        many=True,
        read_only=True,
        help_text=(
            "Versions of other cooperations' agreements that this one (a study, say) led to: "
            "each such version names it as prompted_by. As its page lists them."
        ),
    )
    proposals_made = ProposalRefSerializer(
        many=True,
        read_only=True,
        help_text=(
            "Proposals this cooperation (a study, say) made about other cooperations: each "
            "names it as proposed_in. As its page lists them."
        ),
    )

    class Meta(CooperationSerializer.Meta):
        fields = [
            *CooperationSerializer.Meta.fields,
            "description",
            "purpose",
            "tasks",
            "legal_basis",
            "record_keeper",
            "outcome",
            "versions",
            "proposals",
            "staffing_history",
            "objections",
            "led_to",
            "arose_from",
            "prompted_versions",
            "proposals_made",
        ]

    @cached_property
    def _commitment_rows(self):
        # One serializer for every cooperation serialized together (a page of the change feed),
        # as for the parties: building one per cooperation was most of such a page's time. Its
        # lookups collect each cooperation's versions and commitments; ids are unique.
        context = {**self.context, "version_sequences": {}, "commitments": {}}
        return CommitmentSerializer(many=True, context=context)

    @extend_schema_field(CommitmentSerializer(many=True))
    def get_staffing_history(self, obj):
        commitments = list(obj.commitments.all())
        rows = self._commitment_rows
        rows.context["version_sequences"].update({v.pk: v.sequence for v in obj.versions.all()})
        rows.context["commitments"].update({c.pk: c for c in commitments})
        return rows.to_representation(commitments)


# --- procurements ---------------------------------------------------------------------------


class BuyerSerializer(rest.ModelSerializer):
    municipality = MunicipalityRefSerializer()
    provenance = ProvenanceField()

    class Meta:
        model = ProcurementBuyer
        fields = ["municipality", "is_lead", "provenance"]


class ProcurementSerializer(AsOfMixin, rest.HyperlinkedModelSerializer):
    url = CanonicalHyperlinkedIdentityField(view_name="api:procurement-detail", lookup_field="slug")
    html_url = CalledField(source="get_absolute_url")
    status_label = label_field()
    buyers = BuyerSerializer(source="listed_buyers", many=True)
    joint = serializers.BooleanField(
        source="is_joint",
        allow_null=True,
        help_text="True when several municipalities buy together." + UNKNOWN_HELP,
    )
    cooperation = serializers.SlugRelatedField(
        slug_field="slug",
        read_only=True,
        allow_null=True,
        help_text="The cooperation it is planned within, if any.",
    )
    provenance = ProvenanceField()

    class Meta:
        model = PlannedProcurement
        fields = [
            "url",
            "html_url",
            "slug",
            "title",
            "description",
            "preconditions",
            "status",
            "status_label",
            "procurement_year",
            "contract_start_year",
            "cpv_code",
            "estimated_value",
            "currency",
            "joint",
            "buyers",
            "cooperation",
            "as_of",
            "as_of_text",
            "as_of_sources",
            "provenance",
            "updated_at",
        ]
        extra_kwargs = {
            "status": {
                "help_text": (
                    "How far the intent has come: target (a target or ambition), planned, "
                    "decided, advertised, awarded, cancelled."
                )
            },
            "procurement_year": {
                "help_text": "The year to procure in, as the source says (a target, a plan or "
                "a decision, see status); null when unknown."
            },
            "contract_start_year": {
                "help_text": "The year the contract is to start; see provenance for whether "
                "the source states it or the registry interprets it."
            },
        }

    def get_status_label(self, obj) -> str:
        return facts.label(obj, "status")


# --- sources --------------------------------------------------------------------------------


class CitationSerializer(rest.ModelSerializer):
    source = serializers.SlugRelatedField(slug_field="slug", read_only=True)
    html_url = CalledField(source="get_absolute_url")
    about = serializers.SerializerMethodField()
    interpretation = serializers.SerializerMethodField(
        help_text=(
            "The registry's reasoning when the value it supports is read from the quote rather "
            "than stated in it; null when the quote states it."
        )
    )

    class Meta:
        model = Citation
        fields = [
            "source",
            "key",
            "quote",
            "start",
            "end",
            "field_name",
            "interpretation",
            "about",
            "html_url",
        ]
        extra_kwargs = {
            "start": {"help_text": "Where the quote begins in the source's text (0-based)."},
            "end": {"help_text": "Where the quote ends in the source's text (exclusive)."},
            "field_name": {
                "help_text": "The field of the record the quote supports; empty for the whole."
            },
        }

    def get_about(self, obj) -> dict:
        """What the citation supports: the kind of record and the page that shows it."""
        target = obj.target
        return {
            "type": target._meta.model_name,
            "key": list(target.natural_key()),
            "html_url": target.get_absolute_url(),
        }

    @extend_schema_field({"type": "string", "nullable": True})
    def get_interpretation(self, obj):
        return blank_to_none(obj.interpretation)


class UnknownAsNullURLField(serializers.URLField):
    """The model keeps an unknown address as "", which is no URI: the API says null."""

    def to_representation(self, value):
        return super().to_representation(value) if value else None


class SourceSerializer(rest.HyperlinkedModelSerializer):
    url = CanonicalHyperlinkedIdentityField(view_name="api:source-detail", lookup_field="slug")
    html_url = CalledField(source="get_absolute_url")
    issuing_municipality = serializers.SlugRelatedField(
        slug_field="slug", read_only=True, allow_null=True
    )
    published_at = UnknownAsNullURLField(
        source="url", allow_null=True, help_text="Where the document is published; null if unknown."
    )
    original = serializers.SerializerMethodField()

    class Meta:
        model = SourceDocument
        fields = [
            "url",
            "html_url",
            "slug",
            "title",
            "kind",
            "publisher",
            "author",
            "author_role",
            "author_party",
            "issuing_municipality",
            "date",
            "date_note",
            "published_at",
            "original",
            "updated_at",
        ]
        extra_kwargs = {
            "date": {"help_text": "The document's date; null when it is undated."},
            "date_note": {
                "help_text": "For an undated document: what can be said about when it was "
                "written, and why."
            },
        }

    @extend_schema_field(
        {
            "type": "object",
            "nullable": True,
            "description": "The original file, or null if the registry holds only its text.",
            "properties": {
                "download_url": {"type": "string"},
                "name": {"type": "string"},
                "format": {"type": "string", "enum": [f.value for f in Format]},
                "media_type": {"type": "string"},
                "size": {"type": "integer"},
                "sha256": {"type": "string"},
            },
        }
    )
    def get_original(self, obj):
        if not obj.has_original:
            return None
        return {
            "download_url": obj.get_original_url(),
            "name": obj.original_name,
            "format": obj.original_format,
            "media_type": obj.original_media_type,
            "size": obj.original_size,
            "sha256": obj.original_sha256,
        }


class SourceDetailSerializer(SourceSerializer):
    text = serializers.CharField(help_text="The full text of the document.")

    class Meta(SourceSerializer.Meta):
        fields = [*SourceSerializer.Meta.fields, "text"]


# --- the joint-buying finder ------------------------------------------------------------------


class OpportunitySideSerializer(rest.Serializer):
    """One side of a match: a municipality's procurement."""

    procurement = serializers.SlugField(source="procurement.slug")
    url = serializers.SerializerMethodField(help_text="The procurement in this API.")
    html_url = CalledField(source="procurement.get_absolute_url")
    title = serializers.CharField(source="procurement.title")
    status = serializers.CharField(source="procurement.status")
    status_label = serializers.SerializerMethodField(
        help_text="How far it has come, in words: a target is not a plan."
    )
    procurement_year = serializers.IntegerField(source="procurement.procurement_year")
    cpv_code = serializers.CharField(source="procurement.cpv_code")
    municipality = serializers.SlugField(source="municipality.slug")
    municipality_name = serializers.CharField(source="municipality.name")
    county = serializers.CharField(source="municipality.county.code")

    def get_url(self, side) -> str:
        from django.urls import reverse

        from ..links import absolute_url

        return absolute_url(
            reverse("api:procurement-detail", kwargs={"slug": side.procurement.slug})
        )

    def get_status_label(self, side) -> str:
        return str(side.procurement.get_status_display())


class OpportunitySerializer(rest.Serializer):
    """A match of agreements.opportunities, as on /mojligheter/."""

    cpv_category = serializers.CharField(
        source="category", help_text="The CPV category (the code's first five digits) shared."
    )
    # Nested fields, not a new side serializer per row: DRF copies every field of a new
    # serializer, which was most of the API list's processor time.
    procurement = OpportunitySideSerializer(source="first_side")
    other = OpportunitySideSerializer(source="other_side")
    same_year = serializers.BooleanField()
    same_county = serializers.BooleanField()
    same_cpv_code = serializers.BooleanField(source="same_code")
    cooperations = serializers.SerializerMethodField(
        help_text="Active cooperations both municipalities are parties of (bound)."
    )
    strength = serializers.IntegerField(
        help_text="Same year 100, each of same county and shared cooperation 10, same code 1."
    )
    explanation = serializers.CharField(help_text="Why they match, in the request's language.")

    def get_cooperations(self, match) -> list[str]:
        return [c.slug for c in match.cooperations]


class OpportunityPageSerializer(rest.Serializer):
    next = serializers.URLField(allow_null=True, help_text="The next page, or null.")
    previous = serializers.URLField(allow_null=True, help_text="The previous page, or null.")
    results = OpportunitySerializer(many=True)
