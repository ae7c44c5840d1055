from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from ..documents import Format
from ..models import (
    Citation,
    Cooperation,
    Municipality,
    Party,
    PlannedProcurement,
    ProcurementBuyer,
    SourceDocument,
    StaffingCommitment,
)


class MunicipalityRefSerializer(serializers.ModelSerializer):
    class Meta:
        model = Municipality
        fields = ["code", "slug", "name"]


class MunicipalitySerializer(serializers.HyperlinkedModelSerializer):
    url = serializers.HyperlinkedIdentityField(
        view_name="api:municipality-detail", lookup_field="slug"
    )
    county = serializers.SerializerMethodField()
    cooperation_count = serializers.IntegerField(read_only=True)
    current_financed_fte = serializers.DecimalField(max_digits=6, decimal_places=2)
    html_url = serializers.CharField(source="get_absolute_url")

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
            "cooperation_count",
            "current_financed_fte",
            "updated_at",
        ]

    def get_county(self, obj) -> dict:
        return {"code": obj.county.code, "name": obj.county.name}


class PartySerializer(serializers.ModelSerializer):
    municipality = MunicipalityRefSerializer()

    class Meta:
        model = Party
        fields = ["municipality", "role", "start_date", "end_date", "note"]


class PostSerializer(serializers.Serializer):
    employer = serializers.CharField(source="employer.code")
    slug = serializers.CharField()
    name = serializers.CharField()
    title = serializers.CharField()


class CommitmentSerializer(serializers.ModelSerializer):
    financer = MunicipalityRefSerializer()
    post = PostSerializer()
    supersedes = serializers.IntegerField(
        source="supersedes.sequence",
        allow_null=True,
        default=None,
        help_text="The sequence number of the commitment this one replaced.",
    )
    is_current = serializers.BooleanField()
    state = serializers.ChoiceField(
        choices=StaffingCommitment.State.choices,
        help_text="Today: current, future (starts later), ended or superseded.",
    )

    class Meta:
        model = StaffingCommitment
        fields = [
            "financer",
            "post",
            "fte",
            "sequence",
            "supersedes",
            "is_current",
            "state",
            "start_date",
            "end_date",
            "note",
        ]


class CooperationSerializer(serializers.HyperlinkedModelSerializer):
    url = serializers.HyperlinkedIdentityField(
        view_name="api:cooperation-detail", lookup_field="slug"
    )
    html_url = serializers.CharField(source="get_absolute_url")
    host = serializers.SlugRelatedField(slug_field="slug", read_only=True)
    parties = PartySerializer(many=True)

    class Meta:
        model = Cooperation
        fields = [
            "url",
            "html_url",
            "slug",
            "name",
            "form",
            "legally_binding",
            "status",
            "host",
            "start_date",
            "end_date",
            "updated_at",
            "parties",
        ]


class CooperationDetailSerializer(CooperationSerializer):
    staffing_history = CommitmentSerializer(source="commitments", many=True)
    objections = serializers.SerializerMethodField()
    led_to = serializers.SlugRelatedField(slug_field="slug", many=True, read_only=True)
    arose_from = serializers.SlugRelatedField(slug_field="slug", many=True, read_only=True)

    class Meta(CooperationSerializer.Meta):
        fields = [
            *CooperationSerializer.Meta.fields,
            "description",
            "outcome",
            "staffing_history",
            "objections",
            "led_to",
            "arose_from",
        ]

    def get_objections(self, obj) -> list[dict]:
        return [
            {"position": o.position, "argument": o.argument, "raised_by": o.raised_by_description}
            for o in obj.objections.all()
        ]


class BuyerSerializer(serializers.ModelSerializer):
    municipality = MunicipalityRefSerializer()

    class Meta:
        model = ProcurementBuyer
        fields = ["municipality", "is_lead"]


class ProcurementSerializer(serializers.HyperlinkedModelSerializer):
    url = serializers.HyperlinkedIdentityField(
        view_name="api:procurement-detail", lookup_field="slug"
    )
    html_url = serializers.CharField(source="get_absolute_url")
    buyers = BuyerSerializer(many=True)
    joint = serializers.BooleanField(source="is_joint")
    cooperation = serializers.SlugRelatedField(slug_field="slug", read_only=True)

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
            "procurement_year",
            "contract_start_year",
            "cpv_code",
            "estimated_value",
            "currency",
            "joint",
            "buyers",
            "cooperation",
            "updated_at",
        ]


class CitationSerializer(serializers.ModelSerializer):
    source = serializers.SlugRelatedField(slug_field="slug", read_only=True)
    html_url = serializers.CharField(source="get_absolute_url")
    about = serializers.SerializerMethodField()

    class Meta:
        model = Citation
        fields = ["source", "key", "quote", "start", "end", "field_name", "about", "html_url"]
        extra_kwargs = {
            "start": {"help_text": "Where the quote begins in the source's text (0-based)."},
            "end": {"help_text": "Where the quote ends in the source's text (exclusive)."},
        }

    def get_about(self, obj) -> dict:
        """What the citation supports: the kind of record and the page that shows it."""
        target = obj.target
        return {
            "type": target._meta.model_name,
            "key": list(target.natural_key()),
            "html_url": target.get_absolute_url(),
        }


class SourceSerializer(serializers.HyperlinkedModelSerializer):
    url = serializers.HyperlinkedIdentityField(view_name="api:source-detail", lookup_field="slug")
    html_url = serializers.CharField(source="get_absolute_url")
    issuing_municipality = serializers.SlugRelatedField(slug_field="slug", read_only=True)
    published_at = serializers.URLField(
        source="url", help_text="Where the document is published, if known."
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
            "published_at",
            "original",
            "updated_at",
        ]

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
