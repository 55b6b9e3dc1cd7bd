"""A record's check constraints validated in one query, not one query per constraint.

Django validates each CheckConstraint with a query of its own (Q.check), inside a
savepoint when in a transaction: three queries per constraint. An agreement and a line
item have a dozen each, so saving an agreement with one changed line item spent 72
queries on them (issue #13). Here every check condition of the record is one column of a
single SELECT, in one savepoint; the results, messages and error codes are Django's. A
condition that names an excluded field is skipped, as Django skips it; an empty field is a
typed NULL, so that PostgreSQL can evaluate a condition on it (Django's own check of
`EXTRACT(DAY FROM NULL)` fails there, is logged and passes; in the database the condition
is unknown, and passes too). If the database cannot evaluate the batch, each constraint is
validated as Django does.
"""

from django.core.exceptions import FieldError, ValidationError
from django.db import DatabaseError, connections, router, transaction
from django.db.models import BooleanField, CheckConstraint, Q, Value
from django.db.models.functions import Cast, Coalesce
from django.db.models.sql import Query
from django.db.models.sql.constants import SINGLE


def failed_checks(instance, checks, exclude, using):
    """The check constraints of checks (model class, constraint) that the instance breaks."""
    query = Query(None)
    against = {}
    for model_class, _ in checks:
        against |= instance._get_field_expression_map(meta=model_class._meta, exclude=exclude)
    for name, value in against.items():
        if not hasattr(value, "resolve_expression"):
            value = Value(value)
        elif isinstance(value, Value) and value.value is None and value._output_field_or_none:
            # A typed NULL: PostgreSQL has no EXTRACT(DAY FROM NULL) for an untyped one,
            # and one failing column would fail the whole batch.
            value = Cast(value, output_field=value.output_field)
        query.add_annotation(value, name, select=False)
    evaluated = []
    for index, (_, constraint) in enumerate(checks):
        # Unknown (NULL) passes, as in the database: COALESCE(condition, true).
        condition = Coalesce(Q(constraint.condition), True, output_field=BooleanField())
        try:
            query.add_annotation(condition, f"check_{index}")
        except FieldError:
            continue  # a field the caller excluded: not validated, as Django does
        evaluated.append(constraint)
    if not evaluated:
        return []
    connection = connections[using]
    savepoint = transaction.atomic(using=using) if connection.in_atomic_block else None
    if savepoint is None:
        row = query.get_compiler(using=using).execute_sql(SINGLE)
    else:
        with savepoint:
            row = query.get_compiler(using=using).execute_sql(SINGLE)
    return [constraint for constraint, holds in zip(evaluated, row, strict=True) if not holds]


class BatchedCheckConstraints:
    """A model mixin: Model.validate_constraints with its check constraints in one query."""

    def validate_constraints(self, exclude=None):
        using = router.db_for_write(self.__class__, instance=self)
        checks, others = [], []
        for model_class, constraints in self.get_constraints():
            for constraint in constraints:
                if type(constraint) is CheckConstraint:
                    checks.append((model_class, constraint))
                else:
                    others.append((model_class, constraint))
        errors = {}
        try:
            broken = failed_checks(self, checks, exclude, using)
        except DatabaseError:
            # As Django's own check of each: validated one by one (Q.check logs and passes).
            others, broken = checks + others, []
        for constraint in broken:
            error = ValidationError(
                constraint.get_violation_error_message(), code=constraint.violation_error_code
            )
            errors = error.update_error_dict(errors)
        for model_class, constraint in others:
            try:
                constraint.validate(model_class, self, exclude=exclude, using=using)
            except ValidationError as error:
                if getattr(error, "code", None) == "unique" and len(constraint.fields) == 1:
                    errors.setdefault(constraint.fields[0], []).append(error)
                else:
                    errors = error.update_error_dict(errors)
        if errors:
            raise ValidationError(errors)
