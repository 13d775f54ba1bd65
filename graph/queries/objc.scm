; Objective-C: what C's queries (its tags.scm and our c.scm: functions, structs, calls, includes, macros)
; leave out: classes, categories, protocols, methods, messages sent and superclasses

(class_interface . (identifier) @name) @definition.class
(class_implementation . (identifier) @name) @definition.class
(protocol_declaration . (identifier) @name) @definition.interface
; a method by the first part of its selector (`loadImageWithURL:options:` is `loadImageWithURL`)
(method_definition . (method_type) . (identifier) @name) @definition.method
(method_definition . (identifier) @name) @definition.method
(method_declaration . (method_type) . (identifier) @name) @definition.method
(method_declaration . (identifier) @name) @definition.method

; `[cache queryImageForKey:key]` sends queryImageForKey
(message_expression method: (identifier) @name) @reference.call

; `@interface SDWebImageManager : NSObject <SDWebImageOperation>`
(class_interface . (identifier) @inherit.class superclass: (identifier) @inherit.base)
(class_interface . (identifier) @inherit.class (parameterized_arguments (type_name (type_identifier) @inherit.base)))
(protocol_declaration . (identifier) @inherit.class (protocol_reference_list (identifier) @inherit.base))
