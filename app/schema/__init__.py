"""Record schemas: what fields a feed has, their types and kinds."""

from app.schema.infer import infer_schema, value_type
from app.schema.model import FieldKind, FieldSpec, FieldType, Schema

__all__ = ["FieldKind", "FieldSpec", "FieldType", "Schema", "infer_schema", "value_type"]
