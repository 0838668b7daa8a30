//! One rule of the contract that every text of a request body follows: it holds no U+0000.
//! Postgres keeps no such character (in text or in the event log's `jsonb`), so the services refuse
//! it with a 422 naming the field (`http_kit::json::parse`), and the document says so on every string
//! a request body can carry, keys and free-form values included, so a generated client never sends one.

use std::collections::BTreeSet;

use utoipa::Modify;
use utoipa::openapi::schema::{
    AdditionalProperties, AnyOf, ArrayItems, ObjectBuilder, Schema, SchemaType, Type,
};
use utoipa::openapi::{OpenApi, Ref, RefOr};

/// Any JSON value without U+0000 in its text: what a free-form object may hold.
const NUL_FREE_JSON: &str = "NulFreeJson";

/// Text without U+0000, whole.
const NUL_FREE: &str = r"^[^\u0000]*$";

/// Applies the rule to every schema a request body refers to.
pub struct TextWithoutNul;

impl Modify for TextWithoutNul {
    fn modify(&self, openapi: &mut OpenApi) {
        let mut names = BTreeSet::new();
        for item in openapi.paths.paths.values_mut() {
            let operations = [&mut item.put, &mut item.post, &mut item.patch, &mut item.delete];
            let bodies =
                operations.into_iter().flatten().filter_map(|operation| operation.request_body.as_mut());
            for body in bodies {
                let RefOr::T(body) = body else { continue };
                for content in body.content.values_mut() {
                    if let RefOr::T(utoipa::openapi::Content { schema: Some(schema), .. }) = content {
                        visit(schema, &mut names);
                    }
                }
            }
        }
        let Some(components) = openapi.components.as_mut() else { return };
        let mut done = BTreeSet::new();
        while let Some(name) = names.iter().find(|name| !done.contains(*name)).cloned() {
            done.insert(name.clone());
            if let Some(schema) = components.schemas.get_mut(&name) {
                visit(schema, &mut names);
            }
        }
        components.schemas.insert(NUL_FREE_JSON.to_owned(), RefOr::T(nul_free_json()));
    }
}

/// Makes the strings in `schema` exclude U+0000; collects the component names it refers to.
fn visit(schema: &mut RefOr<Schema>, names: &mut BTreeSet<String>) {
    match schema {
        RefOr::Ref(reference) => {
            if let Some(name) = reference.ref_location.strip_prefix("#/components/schemas/") {
                names.insert(name.to_owned());
            }
        }
        RefOr::T(Schema::Object(object)) => {
            if is(&object.schema_type, Type::String)
                && object.format.is_none()
                && object.enum_values.is_none()
            {
                object.pattern =
                    Some(object.pattern.as_deref().map_or_else(|| NUL_FREE.to_owned(), without_nul));
            }
            let free_form = object.properties.is_empty() && object.additional_properties.is_none();
            if is(&object.schema_type, Type::Object) && free_form {
                object.additional_properties = Some(Box::new(AdditionalProperties::RefOr(RefOr::Ref(
                    Ref::from_schema_name(NUL_FREE_JSON),
                ))));
                object.property_names = Some(Box::new(nul_free_text()));
            }
            object.properties.values_mut().for_each(|property| visit(property, names));
        }
        RefOr::T(Schema::Array(array)) => {
            if let ArrayItems::RefOrSchema(items) = &mut array.items {
                visit(items, names);
            }
        }
        RefOr::T(Schema::OneOf(one_of)) => one_of.items.iter_mut().for_each(|item| visit(item, names)),
        RefOr::T(Schema::AllOf(all_of)) => all_of.items.iter_mut().for_each(|item| visit(item, names)),
        RefOr::T(Schema::AnyOf(any_of)) => any_of.items.iter_mut().for_each(|item| visit(item, names)),
        RefOr::T(_) => {}
    }
}

fn is(schema_type: &SchemaType, wanted: Type) -> bool {
    match schema_type {
        SchemaType::Type(one) => *one == wanted,
        SchemaType::Array(several) => several.contains(&wanted),
        SchemaType::AnyValue => false,
    }
}

/// `pattern` with U+0000 left out: every negated class excludes it too, and a pattern that matches
/// anywhere in the text (not anchored at both ends) is anchored between runs of other characters.
fn without_nul(pattern: &str) -> String {
    let classes = pattern.replace("[^", r"[^\u0000");
    if pattern.starts_with('^') && pattern.ends_with('$') {
        classes
    } else {
        format!(r"^[^\u0000]*{classes}[^\u0000]*$")
    }
}

fn nul_free_text() -> Schema {
    ObjectBuilder::new().schema_type(Type::String).pattern(Some(NUL_FREE)).build().into()
}

/// A JSON value whose strings and keys hold no U+0000, at any depth.
fn nul_free_json() -> Schema {
    let itself = || RefOr::Ref(Ref::from_schema_name(NUL_FREE_JSON));
    let scalars =
        ObjectBuilder::new().schema_type(SchemaType::Array(vec![Type::Number, Type::Boolean, Type::Null]));
    let array = utoipa::openapi::schema::ArrayBuilder::new().items(itself());
    let object = ObjectBuilder::new()
        .schema_type(Type::Object)
        .additional_properties(Some(itself()))
        .property_names(Some(nul_free_text()));
    let mut any = AnyOf::new();
    any.items = vec![RefOr::T(nul_free_text()), scalars.into(), array.into(), object.into()];
    any.description = Some("Any JSON value whose text (strings and keys) holds no U+0000.".to_owned());
    Schema::AnyOf(any)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_pattern_anchored_at_both_ends_only_has_its_negated_classes_narrowed() {
        assert_eq!(without_nul("^[A-Za-z0-9_.-]{1,64}$"), "^[A-Za-z0-9_.-]{1,64}$");
        assert_eq!(without_nul(r"^[^\t ]+$"), r"^[^\u0000\t ]+$");
    }

    #[test]
    fn a_pattern_matching_anywhere_is_anchored_between_text_without_nul() {
        assert_eq!(without_nul(r"[^\t ]"), r"^[^\u0000]*[^\u0000\t ][^\u0000]*$");
    }
}
