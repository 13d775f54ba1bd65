; C++: includes, calls, base classes, owners of out-of-line methods, anonymous typedef'd structs
; (definitions come from the grammar's tags.scm, which has no call references at all)

(preproc_include path: [(string_literal) (system_lib_string)] @import.module)

(call_expression function: (identifier) @name) @reference.call
(call_expression function: (field_expression field: (field_identifier) @name)) @reference.call
(call_expression function: (qualified_identifier name: (identifier) @name)) @reference.call
(call_expression function: (template_function name: (identifier) @name)) @reference.call
(call_expression function: (qualified_identifier name: (template_function name: (identifier) @name))) @reference.call

; `class Cart : public Base, ns::Other, Tmpl<int>` (a template base is recorded without its arguments)
; (one pattern per declaration type: fields cannot follow an alternation of node types)
(class_specifier
  name: (type_identifier) @inherit.class
  (base_class_clause [(type_identifier) (qualified_identifier)] @inherit.base))
(class_specifier
  name: (type_identifier) @inherit.class
  (base_class_clause (template_type name: (type_identifier) @inherit.base)))
(struct_specifier
  name: (type_identifier) @inherit.class
  (base_class_clause [(type_identifier) (qualified_identifier)] @inherit.base))
(struct_specifier
  name: (type_identifier) @inherit.class
  (base_class_clause (template_type name: (type_identifier) @inherit.base)))

; `void Cart::add() {}` defined outside its class belongs to Cart
(function_definition
  declarator: (function_declarator
    declarator: (qualified_identifier scope: (namespace_identifier) @owner.name))) @owner.scope

; `typedef struct { ... } Name;`
(type_definition
  type: (struct_specifier !name body: (_))
  declarator: (type_identifier) @name) @definition.struct
(type_definition
  type: (enum_specifier !name body: (_))
  declarator: (type_identifier) @name) @definition.enum

; `#define list_for_each(pos, head) …`: a function-like macro is called as a function is
(preproc_function_def name: (identifier) @name) @definition.macro
