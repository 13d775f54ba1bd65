; Kotlin: definitions, calls, imports and inheritance (all of it: the grammar wheel ships no tags.scm)

(class_declaration (identifier) @name) @definition.class
(object_declaration (identifier) @name) @definition.class
(function_declaration (identifier) @name) @definition.function

(call_expression . (identifier) @name) @reference.call
(call_expression . (navigation_expression (identifier) @name .)) @reference.call

; `import a.b.C`, `import a.b.*`, `import a.b.C as D` (parse.py reads the path)
(import) @import.module

; `class A : B(), C<T>`: the superclass's constructor call and the interfaces alike
(class_declaration (identifier) @inherit.class
  (delegation_specifiers (delegation_specifier (user_type (identifier) @inherit.base .))))
(class_declaration (identifier) @inherit.class
  (delegation_specifiers (delegation_specifier (constructor_invocation (user_type (identifier) @inherit.base .)))))
(object_declaration (identifier) @inherit.class
  (delegation_specifiers (delegation_specifier (user_type (identifier) @inherit.base .))))
(object_declaration (identifier) @inherit.class
  (delegation_specifiers (delegation_specifier (constructor_invocation (user_type (identifier) @inherit.base .)))))
