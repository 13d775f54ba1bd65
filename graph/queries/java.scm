; Java: imports, inheritance, the definitions the grammar's tags.scm misses (enums, records,
; annotation types) and constructor calls

; the whole declaration: parse.py turns `import static a.b.C.m;` / `import a.b.*;` into "a.b.C.m" / "a.b.*"
(import_declaration) @import.module

(enum_declaration name: (identifier) @name) @definition.enum
(record_declaration name: (identifier) @name) @definition.class
(annotation_type_declaration name: (identifier) @name) @definition.interface

(object_creation_expression type: (type_identifier) @name) @reference.call
(object_creation_expression type: (generic_type (type_identifier) @name)) @reference.call

; `class A extends B<T> implements C, d.E` (generic arguments are left out of the base)
; (one pattern per declaration type: fields cannot follow an alternation of node types)
(class_declaration
  name: (identifier) @inherit.class
  superclass: (superclass [(type_identifier) (scoped_type_identifier)] @inherit.base))
(class_declaration
  name: (identifier) @inherit.class
  superclass: (superclass (generic_type [(type_identifier) (scoped_type_identifier)] @inherit.base)))
(class_declaration
  name: (identifier) @inherit.class
  interfaces: (super_interfaces (type_list [(type_identifier) (scoped_type_identifier)] @inherit.base)))
(class_declaration
  name: (identifier) @inherit.class
  interfaces: (super_interfaces
    (type_list (generic_type [(type_identifier) (scoped_type_identifier)] @inherit.base))))
(enum_declaration
  name: (identifier) @inherit.class
  interfaces: (super_interfaces (type_list [(type_identifier) (scoped_type_identifier)] @inherit.base)))
(enum_declaration
  name: (identifier) @inherit.class
  interfaces: (super_interfaces
    (type_list (generic_type [(type_identifier) (scoped_type_identifier)] @inherit.base))))
(record_declaration
  name: (identifier) @inherit.class
  interfaces: (super_interfaces (type_list [(type_identifier) (scoped_type_identifier)] @inherit.base)))
(record_declaration
  name: (identifier) @inherit.class
  interfaces: (super_interfaces
    (type_list (generic_type [(type_identifier) (scoped_type_identifier)] @inherit.base))))
(interface_declaration
  name: (identifier) @inherit.class
  (extends_interfaces (type_list [(type_identifier) (scoped_type_identifier)] @inherit.base)))
(interface_declaration
  name: (identifier) @inherit.class
  (extends_interfaces (type_list (generic_type [(type_identifier) (scoped_type_identifier)] @inherit.base))))
