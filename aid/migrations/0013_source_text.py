"""Source text stored in the database; every existing citation checked against it.

Each seed source (one with a file in seeds/) gets its file's text. Then every
citation is checked against its source's stored text, as Citation.locate() does,
and marked checked (where the passage was found) or not (with the reason). Nothing
is deleted: a citation of a source without text, or whose passage is not found,
stays, unchecked, and readers see it marked as not verified.

The reading and the check are aid.documents and aid.passages themselves, not
copies: the migration stores what the running ledger would store.
"""

import django.core.validators
from django.db import migrations, models
from django.utils import timezone

from aid import documents, passages


def store_seed_texts(apps, schema_editor):
    """Each seed source's text, read from its file in seeds/; a missing file leaves none."""
    Source = apps.get_model("aid", "Source")
    now = timezone.now()
    for source in Source.objects.exclude(file="").filter(text=""):
        try:
            document = documents.from_seed(source.file)
        except documents.DocumentError:
            continue
        source.text = document.text
        source.text_format = document.format
        source.text_original = document.original
        source.text_sha256 = document.sha256
        source.text_origin = document.origin
        source.text_file_name = document.name
        source.text_stored_at = now
        source.save(update_fields=TEXT_FIELDS)


TEXT_FIELDS = [
    "text",
    "text_format",
    "text_original",
    "text_sha256",
    "text_origin",
    "text_file_name",
    "text_stored_at",
]


def check_citations(apps, schema_editor):
    """Check every citation against its source's stored text; keep where found, or why not."""
    Source = apps.get_model("aid", "Source")
    Citation = apps.get_model("aid", "Citation")
    texts = dict(Source.objects.exclude(text="").values_list("pk", "text"))
    batch = []
    citations = Citation.objects.only("pk", "source_id", "passage").order_by("pk")
    for citation in citations.iterator(chunk_size=2000):
        check = passages.check_passage(texts.get(citation.source_id, ""), citation.passage)
        citation.start, citation.end, citation.unchecked_reason = (
            check.start,
            check.end,
            check.reason,
        )
        batch.append(citation)
        if len(batch) == 2000:
            Citation.objects.bulk_update(batch, ["start", "end", "unchecked_reason"])
            batch = []
    Citation.objects.bulk_update(batch, ["start", "end", "unchecked_reason"])


def store_texts_and_check_citations(apps, schema_editor):
    store_seed_texts(apps, schema_editor)
    check_citations(apps, schema_editor)
    if schema_editor is not None and schema_editor.connection.vendor == "postgresql":
        # The constraints below ALTER these tables in this same transaction, and PostgreSQL
        # refuses to ALTER a table with deferred trigger events pending (the data version's
        # triggers are DEFERRABLE INITIALLY DEFERRED): fire them now, not at the commit.
        schema_editor.execute("SET CONSTRAINTS ALL IMMEDIATE")


class Migration(migrations.Migration):

    dependencies = [
        ('aid', '0012_source_url_is_a_web_address'),
    ]

    operations = [
        migrations.RemoveConstraint(
            model_name='source',
            name='aid_source_has_file_or_url',
        ),
        migrations.AddField(
            model_name='citation',
            name='end',
            field=models.PositiveIntegerField(blank=True, editable=False, null=True),
        ),
        migrations.AddField(
            model_name='citation',
            name='start',
            field=models.PositiveIntegerField(blank=True, editable=False, null=True),
        ),
        migrations.AddField(
            model_name='citation',
            name='unchecked_reason',
            field=models.CharField(blank=True, editable=False, max_length=200, verbose_name='why not checked'),
        ),
        migrations.AddField(
            model_name='historicalsource',
            name='snapshot_taken_on',
            field=models.DateField(blank=True, help_text='For a web page: the day its text was copied from the URL. The ledger never fetches a URL; the stored text is what the page said that day.', null=True, verbose_name='text taken from the URL on'),
        ),
        migrations.AddField(
            model_name='historicalsource',
            name='text',
            field=models.TextField(blank=True, editable=False, help_text="The document's text: every citation is checked against it; readers see it."),
        ),
        migrations.AddField(
            model_name='historicalsource',
            name='text_file_name',
            field=models.CharField(blank=True, editable=False, help_text='As uploaded.', max_length=200, verbose_name='file name'),
        ),
        migrations.AddField(
            model_name='historicalsource',
            name='text_format',
            field=models.CharField(blank=True, choices=[('plain', 'Plain text'), ('markdown', 'Markdown'), ('html', 'HTML'), ('pdf', 'PDF')], editable=False, max_length=10, verbose_name='format'),
        ),
        migrations.AddField(
            model_name='historicalsource',
            name='text_origin',
            field=models.CharField(blank=True, choices=[('pasted', 'Pasted in the admin'), ('uploaded', 'Uploaded file'), ('seed', 'Seed file in seeds/')], editable=False, max_length=10, verbose_name='text from'),
        ),
        migrations.AddField(
            model_name='historicalsource',
            name='text_original',
            field=models.TextField(blank=True, editable=False, help_text='The HTML the text was read from, kept as it came; empty for other formats.', verbose_name='HTML as received'),
        ),
        migrations.AddField(
            model_name='historicalsource',
            name='text_sha256',
            field=models.CharField(blank=True, editable=False, help_text="Of the document as received: the file's bytes, or the pasted text in UTF-8.", max_length=64, verbose_name='SHA-256'),
        ),
        migrations.AddField(
            model_name='historicalsource',
            name='text_stored_at',
            field=models.DateTimeField(blank=True, editable=False, null=True, verbose_name='text stored at'),
        ),
        migrations.AddField(
            model_name='source',
            name='snapshot_taken_on',
            field=models.DateField(blank=True, help_text='For a web page: the day its text was copied from the URL. The ledger never fetches a URL; the stored text is what the page said that day.', null=True, verbose_name='text taken from the URL on'),
        ),
        migrations.AddField(
            model_name='source',
            name='text',
            field=models.TextField(blank=True, editable=False, help_text="The document's text: every citation is checked against it; readers see it."),
        ),
        migrations.AddField(
            model_name='source',
            name='text_file_name',
            field=models.CharField(blank=True, editable=False, help_text='As uploaded.', max_length=200, verbose_name='file name'),
        ),
        migrations.AddField(
            model_name='source',
            name='text_format',
            field=models.CharField(blank=True, choices=[('plain', 'Plain text'), ('markdown', 'Markdown'), ('html', 'HTML'), ('pdf', 'PDF')], editable=False, max_length=10, verbose_name='format'),
        ),
        migrations.AddField(
            model_name='source',
            name='text_origin',
            field=models.CharField(blank=True, choices=[('pasted', 'Pasted in the admin'), ('uploaded', 'Uploaded file'), ('seed', 'Seed file in seeds/')], editable=False, max_length=10, verbose_name='text from'),
        ),
        migrations.AddField(
            model_name='source',
            name='text_original',
            field=models.TextField(blank=True, editable=False, help_text='The HTML the text was read from, kept as it came; empty for other formats.', verbose_name='HTML as received'),
        ),
        migrations.AddField(
            model_name='source',
            name='text_sha256',
            field=models.CharField(blank=True, editable=False, help_text="Of the document as received: the file's bytes, or the pasted text in UTF-8.", max_length=64, verbose_name='SHA-256'),
        ),
        migrations.AddField(
            model_name='source',
            name='text_stored_at',
            field=models.DateTimeField(blank=True, editable=False, null=True, verbose_name='text stored at'),
        ),
        migrations.AlterField(
            model_name='citation',
            name='passage',
            field=models.TextField(help_text="Copied verbatim from the source's stored text, not paraphrased. Whitespace and straight or curly quotation marks may differ; nothing else."),
        ),
        migrations.AlterField(
            model_name='historicalcitation',
            name='passage',
            field=models.TextField(help_text="Copied verbatim from the source's stored text, not paraphrased. Whitespace and straight or curly quotation marks may differ; nothing else."),
        ),
        migrations.AlterField(
            model_name='historicalsource',
            name='file',
            field=models.CharField(blank=True, help_text='For a seed document only: its file inside seeds/, from which its text is loaded (seeds/SHA256SUMS checks the file), e.g. 002_c8fdc93dd4fbe3f3.txt.', max_length=200, validators=[django.core.validators.RegexValidator('^[A-Za-z0-9][A-Za-z0-9_.-]*$', 'A file name inside seeds/, without folders.')], verbose_name='seed file'),
        ),
        migrations.AlterField(
            model_name='source',
            name='file',
            field=models.CharField(blank=True, help_text='For a seed document only: its file inside seeds/, from which its text is loaded (seeds/SHA256SUMS checks the file), e.g. 002_c8fdc93dd4fbe3f3.txt.', max_length=200, validators=[django.core.validators.RegexValidator('^[A-Za-z0-9][A-Za-z0-9_.-]*$', 'A file name inside seeds/, without folders.')], verbose_name='seed file'),
        ),
        migrations.RunPython(store_texts_and_check_citations, migrations.RunPython.noop),
        migrations.AddConstraint(
            model_name='citation',
            constraint=models.CheckConstraint(condition=models.Q(models.Q(('end__isnull', True), ('start__isnull', True), models.Q(('unchecked_reason', ''), _negated=True)), models.Q(('end__gt', models.F('start')), ('start__isnull', False), ('unchecked_reason', '')), _connector='OR'), name='aid_citation_checked_or_why_not', violation_error_message="A citation is either found in its source's text, from start to end, or says why it is not."),
        ),
        migrations.AddConstraint(
            model_name='source',
            constraint=models.CheckConstraint(condition=models.Q(models.Q(('text', ''), _negated=True), models.Q(('url', ''), _negated=True), models.Q(('file', ''), _negated=True), _connector='OR'), name='aid_source_has_text_or_url', violation_error_message='A source needs its text (paste it or upload the file) or a URL.'),
        ),
        migrations.AddConstraint(
            model_name='source',
            constraint=models.CheckConstraint(condition=models.Q(models.Q(('text', ''), ('text_format', ''), ('text_origin', ''), ('text_sha256', ''), ('text_file_name', ''), ('text_original', ''), ('text_stored_at__isnull', True)), models.Q(models.Q(('text', ''), _negated=True), ('text_format__in', ['plain', 'markdown', 'html', 'pdf']), ('text_origin__in', ['pasted', 'uploaded', 'seed']), models.Q(('text_sha256', ''), _negated=True), ('text_stored_at__isnull', False)), _connector='OR'), name='aid_source_text_recorded', violation_error_message='A stored text has its format, SHA-256, origin and time; no text, none.'),
        ),
        migrations.AddConstraint(
            model_name='source',
            constraint=models.CheckConstraint(condition=models.Q(('snapshot_taken_on__isnull', True), models.Q(models.Q(('url', ''), _negated=True), models.Q(('text', ''), _negated=True)), _connector='OR'), name='aid_source_snapshot_of_a_url', violation_error_message='The day a text was taken from the URL needs the URL and the text.'),
        ),
    ]
