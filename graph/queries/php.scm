; PHP: what the grammar's tags.scm misses (enums, calls of unqualified names, `new X`), imports and inheritance

(enum_declaration name: (name) @name) @definition.enum

(function_call_expression function: (name) @name) @reference.call
(object_creation_expression (name) @name) @reference.call
(object_creation_expression (qualified_name (name) @name .)) @reference.call

; `use A\B\C;`, `use function A\B\f;`, `use A\B\C as D;` (parse.py reads the clause), and the group
; form `use A\B\{C, D as E};`: the prefix, with each name below it
(namespace_use_declaration (namespace_use_clause) @import.module)
(namespace_use_declaration
  (namespace_name) @import.module
  (namespace_use_group (namespace_use_clause . [(name) (qualified_name)] @import.name)))

; `class A extends B implements C, \D\E`, `interface I extends J`; a trait `use`d inside the class
(class_declaration name: (name) @inherit.class (base_clause (name) @inherit.base))
(class_declaration name: (name) @inherit.class (base_clause (qualified_name (name) @inherit.base .)))
(class_declaration name: (name) @inherit.class (class_interface_clause (name) @inherit.base))
(class_declaration name: (name) @inherit.class (class_interface_clause (qualified_name (name) @inherit.base .)))
(interface_declaration name: (name) @inherit.class (base_clause (name) @inherit.base))
(interface_declaration name: (name) @inherit.class (base_clause (qualified_name (name) @inherit.base .)))
(class_declaration name: (name) @inherit.class (declaration_list (use_declaration (name) @inherit.base)))
(class_declaration name: (name) @inherit.class (declaration_list (use_declaration (qualified_name (name) @inherit.base .))))
