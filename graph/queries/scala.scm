; Scala: definitions, calls, imports and inheritance (all of it: the grammar's tags.scm makes each enum
; case a class)

(class_definition name: (identifier) @name) @definition.class
(object_definition name: (identifier) @name) @definition.class
(trait_definition name: (identifier) @name) @definition.trait
(enum_definition name: (identifier) @name) @definition.enum
(function_definition name: (identifier) @name) @definition.function
(function_declaration name: (identifier) @name) @definition.function

(call_expression function: (identifier) @name) @reference.call
(call_expression function: (field_expression field: (identifier) @name)) @reference.call
(instance_expression (type_identifier) @name) @reference.call
(instance_expression (generic_type (type_identifier) @name)) @reference.call

; `import a.b.C`, `import a.b.{C, D => E}`, `import a.b._` (parse.py reads the whole declaration)
(import_declaration) @import.module

; `class A extends B with C`
(class_definition name: (identifier) @inherit.class
  (extends_clause [(type_identifier) (generic_type (type_identifier))] @inherit.base))
(object_definition name: (identifier) @inherit.class
  (extends_clause [(type_identifier) (generic_type (type_identifier))] @inherit.base))
(trait_definition name: (identifier) @inherit.class
  (extends_clause [(type_identifier) (generic_type (type_identifier))] @inherit.base))
