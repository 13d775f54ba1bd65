; Lua: definitions, calls, requires and inheritance (all of it: the grammar's tags.scm makes a whole table
; the definition of each function in it, so a table's second function was lost and its first given the
; table's line)

(function_declaration
  name: [(identifier) @name
         (dot_index_expression field: (identifier) @name)]) @definition.function
(function_declaration name: (method_index_expression method: (identifier) @name)) @definition.method
; `M.format = function(cents) … end`, `local f = function() … end`
(assignment_statement
  (variable_list . name: [(identifier) @name (dot_index_expression field: (identifier) @name)])
  (expression_list . value: (function_definition))) @definition.function
; `{ mount = function(self) … end }`: the field is the definition
(field name: (identifier) @name value: (function_definition)) @definition.function

(function_call
  name: [(identifier) @name
         (dot_index_expression field: (identifier) @name)
         (method_index_expression method: (identifier) @name)]) @reference.call

; a table named as a class (`local Cart = {}`, `Cart = setmetatable({}, Base)`) is one: its functions are
; its methods (`function Cart:add()`, `function Cart.new()`, `Cart.label = function() end`); a module's
; own table (`local M = {}`) is not
(variable_declaration
  (assignment_statement
    (variable_list . name: (identifier) @name)
    (expression_list . value: [(table_constructor)
                               (function_call name: (identifier) @_setmetatable arguments: (arguments . (table_constructor)))]))
  (#match? @name "^[A-Z][A-Za-z0-9_]*[a-z][A-Za-z0-9_]*$")) @definition.class
(function_declaration
  name: [(dot_index_expression table: (identifier) @owner.name)
         (method_index_expression table: (identifier) @owner.name)]
  (#match? @owner.name "^[A-Z][A-Za-z0-9_]*[a-z][A-Za-z0-9_]*$")) @owner.scope
(assignment_statement
  (variable_list . name: (dot_index_expression table: (identifier) @owner.name))
  (expression_list . value: (function_definition))
  (#match? @owner.name "^[A-Z][A-Za-z0-9_]*[a-z][A-Za-z0-9_]*$")) @owner.scope

; `require("shop.cart")`, `require "shop.cart"`
(function_call
  name: (identifier) @_require
  arguments: [(arguments . (string content: (string_content) @import.module))
              (string content: (string_content) @import.module)]
  (#eq? @_require "require"))

; `setmetatable(Cart, { __index = Base })` and `setmetatable({}, Base)` as a class's base
(variable_declaration
  (assignment_statement
    (variable_list . name: (identifier) @inherit.class)
    (expression_list . value: (function_call name: (identifier) @_setmetatable
                                             arguments: (arguments . (table_constructor) . (identifier) @inherit.base))))
  (#eq? @_setmetatable "setmetatable")
  (#match? @inherit.class "^[A-Z][A-Za-z0-9_]*[a-z][A-Za-z0-9_]*$"))
