; Rust: `use` declarations and `mod name;` (imports), impl blocks (owners), `impl Trait for Type` and
; supertraits (inheritance), path calls (definitions and plain calls come from the grammar's tags.scm)

; `use a::b::C;`, `use a::b::C as D;`, `use a::b::*;` -> the path as written
(use_declaration argument: [(identifier) (scoped_identifier) (use_wildcard)] @import.module)
(use_declaration argument: (use_as_clause path: (_) @import.module))
; `use crate::a::{self, b, c::D, e as f, g::{H, I}};` -> module "crate::a", names self, b, c::D, e, g
; (resolve.rust_use resolves each name below the module; nested groups stop at their prefix)
(use_declaration
  argument: (scoped_use_list
    path: (_) @import.module
    list: (use_list [(identifier) (self) (scoped_identifier)] @import.name)))
(use_declaration
  argument: (scoped_use_list
    path: (_) @import.module
    list: (use_list [(use_as_clause path: (_) @import.name)
                     (scoped_use_list path: (_) @import.name)
                     (use_wildcard) @import.name])))
; `mod cart;` -> parse.py writes the spec "mod cart"
(mod_item !body) @import.module

; `impl<T> Cart<T> { fn new() }` -> Cart.new
(impl_item
  type: [(type_identifier) @owner.name
         (generic_type type: (type_identifier) @owner.name)
         (scoped_type_identifier name: (type_identifier) @owner.name)]) @owner.scope

; `impl fmt::Display for Cart` -> Cart inherits fmt::Display (generic arguments left out)
(impl_item
  trait: [(type_identifier) (scoped_type_identifier)] @inherit.base
  type: [(type_identifier) @inherit.class (generic_type type: (type_identifier) @inherit.class)])
(impl_item
  trait: (generic_type type: (_) @inherit.base)
  type: [(type_identifier) @inherit.class (generic_type type: (type_identifier) @inherit.class)])
; `trait Priced: Named + fmt::Debug`
(trait_item
  name: (type_identifier) @inherit.class
  bounds: (trait_bounds [(type_identifier) (scoped_type_identifier)] @inherit.base))
(trait_item
  name: (type_identifier) @inherit.class
  bounds: (trait_bounds (generic_type type: (_) @inherit.base)))

; `pricing::total()`, `Cart::<u8>::new()`, `parse::<u8>()` (the shipped query sees only plain names and methods)
(call_expression function: (scoped_identifier name: (identifier) @name)) @reference.call
(call_expression
  function: (generic_function
    function: [(identifier) @name
               (scoped_identifier name: (identifier) @name)
               (field_expression field: (field_identifier) @name)])) @reference.call

; trait method declarations without a body `fn price(&self) -> u32;`
(function_signature_item name: (identifier) @name) @definition.method
