; Lua: what the grammar's tags.scm leaves out (it defines functions and captures calls)

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
