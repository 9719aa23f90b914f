//! Rewrites of the generated components that generators need: envelopes that refer to the
//! schemas they wrap, the list item's variants, and links from creates to reads.

use utoipa::openapi::link::LinkBuilder;
use utoipa::openapi::schema::{AnyOfBuilder, ArrayItems, ObjectBuilder, Schema, Type};
use utoipa::openapi::{Ref, RefOr};

/// utoipa writes a generic envelope's payload inline (`Data_AdminArticle.data` is a copy of
/// `AdminArticle`), which leaves the named schema unused and gives generated clients anonymous
/// types. Points every envelope's `data` (or its items) at the component it copies.
pub(super) fn refer_to_wrapped_schemas(components: &mut utoipa::openapi::Components) {
    let named: Vec<(String, serde_json::Value)> = components
        .schemas
        .iter()
        .filter_map(|(name, schema)| Some((name.clone(), serde_json::to_value(schema).ok()?)))
        .collect();
    let refer = |inline: &mut RefOr<Schema>| {
        let Ok(value) = serde_json::to_value(&*inline) else {
            return;
        };
        if let Some((name, _)) = named.iter().find(|(_, schema)| *schema == value) {
            *inline = RefOr::Ref(Ref::from_schema_name(name.clone()));
        }
    };
    for (name, schema) in components.schemas.iter_mut() {
        if !(name.starts_with("Data_") || name.starts_with("Collection_")) {
            continue;
        }
        let RefOr::T(Schema::Object(envelope)) = schema else {
            continue;
        };
        let Some(data) = envelope.properties.get_mut("data") else {
            continue;
        };
        if let RefOr::T(Schema::Array(array)) = data {
            if let ArrayItems::RefOrSchema(items) = &mut array.items {
                refer(items);
            }
        } else {
            refer(data);
        }
    }
}

/// A list item is an article (`article_id` alone) or an external link (`url` and `title`);
/// the struct's optional fields cannot say so. `ItemInput` becomes `anyOf` the two shapes, in
/// which a field of the other shape may only be absent or null, exactly as `to_items` decides.
/// The shapes exclude each other (`article_id` is an integer in one, null in the other), so
/// `anyOf` means `oneOf` here without tripping linters that want a property both require.
pub(super) fn list_item_variants(components: &mut utoipa::openapi::Components) {
    let Some(RefOr::T(Schema::Object(item))) = components.schemas.get("ItemInput") else {
        return;
    };
    let null = || {
        RefOr::T(Schema::Object(
            ObjectBuilder::new().schema_type(Type::Null).build(),
        ))
    };
    // The field as declared, minus `null`: required in this shape.
    let required = |name: &str, kind: Type| match item.properties.get(name) {
        Some(RefOr::T(Schema::Object(field))) => {
            let mut field = field.clone();
            field.schema_type = kind.into();
            RefOr::T(Schema::Object(field))
        }
        _ => RefOr::T(Schema::Object(
            ObjectBuilder::new().schema_type(kind).build(),
        )),
    };
    let mut article = ObjectBuilder::new()
        .schema_type(Type::Object)
        .title(Some("ArticleItem"))
        .description(Some("An article of this newsroom."))
        .required("article_id")
        .property("article_id", required("article_id", Type::Integer));
    let mut link = ObjectBuilder::new()
        .schema_type(Type::Object)
        .title(Some("LinkItem"))
        .description(Some("An external link."))
        .required("url")
        .required("title")
        .property("article_id", null());
    for (name, field) in &item.properties {
        match name.as_str() {
            "article_id" => {}
            "url" => link = link.property("url", required("url", Type::String)),
            "title" => link = link.property("title", required("title", Type::String)),
            _ => link = link.property(name.clone(), field.clone()),
        }
        if name != "article_id" {
            article = article.property(name.clone(), null());
        }
    }
    // Closed like the struct (`deny_unknown_fields`).
    let closed = |shape: ObjectBuilder| {
        let mut shape = shape.build();
        shape.additional_properties = item.additional_properties.clone();
        shape
    };
    let variants = AnyOfBuilder::new()
        .description(item.description.clone())
        .item(closed(article))
        .item(closed(link))
        .build();
    components
        .schemas
        .insert("ItemInput".to_owned(), RefOr::T(Schema::AnyOf(variants)));
}

/// OpenAPI links from each admin create (`POST /api/v1/admin/<things>`) to the read, update
/// and delete of what it created, by the id in its 201 body: generators document them and
/// schemathesis follows them in its stateful phase.
pub(super) fn link_creates_to_reads(doc: &mut utoipa::openapi::OpenApi) {
    let mut links = Vec::new();
    for (path, item) in &doc.paths.paths {
        let (Some(_), Some(member)) = (
            item.post.as_ref(),
            doc.paths.paths.get(&format!("{path}/{{id}}")),
        ) else {
            continue;
        };
        let targets = [
            ("Get", member.get.as_ref()),
            ("Update", member.patch.as_ref()),
            ("Delete", member.delete.as_ref()),
        ];
        for (verb, target) in targets {
            if let Some(id) = target.and_then(|t| t.operation_id.clone()) {
                links.push((path.clone(), verb, id));
            }
        }
    }
    for (path, verb, target) in links {
        let Some(create) = doc.paths.paths.get_mut(&path).and_then(|i| i.post.as_mut()) else {
            continue;
        };
        if let Some(RefOr::T(created)) = create.responses.responses.get_mut("201") {
            created.links.insert(
                verb.to_owned(),
                RefOr::T(
                    LinkBuilder::new()
                        .operation_id(target)
                        .parameter("id", "$response.body#/data/id")
                        .description(format!("{verb} what was created"))
                        .build(),
                ),
            );
        }
    }
}
