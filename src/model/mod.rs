//! Model: resources as the stages see them (object, identity, origin,
//! node notes), the ordered resource map, and places inside an object.

pub mod aliases;
pub mod notes;
pub mod provenance;
pub mod resmap;
pub mod resource;
