; Go: imports, method receivers (owners), struct and interface embedding (as inheritance)
; (definitions and calls come from the grammar's tags.scm)

(import_spec path: [(interpreted_string_literal) (raw_string_literal)] @import.module)

; `func (c *Cart) Add()` belongs to Cart; generic receivers `func (s *Stack[T]) Pop()` to Stack
(method_declaration
  receiver: (parameter_list
    (parameter_declaration
      type: [(type_identifier) @owner.name
             (pointer_type (type_identifier) @owner.name)
             (generic_type type: (type_identifier) @owner.name)
             (pointer_type (generic_type type: (type_identifier) @owner.name))]))) @owner.scope

; embedded fields `struct { User; *Logger; money.Base }` and embedded interfaces
(type_spec
  name: (type_identifier) @inherit.class
  type: (struct_type (field_declaration_list
    (field_declaration !name type: [(type_identifier) (qualified_type)] @inherit.base))))
(type_spec
  name: (type_identifier) @inherit.class
  type: (interface_type (type_elem . [(type_identifier) (qualified_type)] @inherit.base .)))
