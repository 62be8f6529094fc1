using System.Text.Json;
using ModelRace.Local.Chat;
using ModelRace.Local.Chat.Jinja;

namespace ModelRace.Local.Tests;

/// <summary>Published chat templates render the prompts their formats document, byte for byte.</summary>
public sealed class ChatTemplateFormatTests
{
    private static readonly ChatTemplateMessage[] WithSystem =
    [
        ChatTemplateMessage.System("You are terse."),
        ChatTemplateMessage.User("Hi!"),
        ChatTemplateMessage.Assistant("Hello."),
        ChatTemplateMessage.User("What is 2+2?"),
    ];

    private static readonly ChatTemplateMessage[] WithoutSystem = WithSystem[1..];

    [Fact]
    public void Qwen25_renders_chatml_with_the_given_system_prompt()
    {
        var prompt = ChatTemplate.FromSource(ChatTemplateFixtures.Qwen25).Render(WithSystem);
        Assert.Equal(
            "<|im_start|>system\nYou are terse.<|im_end|>\n<|im_start|>user\nHi!<|im_end|>\n<|im_start|>assistant\nHello.<|im_end|>\n" +
            "<|im_start|>user\nWhat is 2+2?<|im_end|>\n<|im_start|>assistant\n", prompt);
    }

    [Fact]
    public void Qwen25_adds_its_default_system_prompt_and_omits_the_generation_prompt_when_asked()
    {
        var prompt = ChatTemplate.FromSource(ChatTemplateFixtures.Qwen25).Render([ChatTemplateMessage.User("Hi!")], addGenerationPrompt: false);
        Assert.Equal("<|im_start|>system\nYou are Qwen, created by Alibaba Cloud. You are a helpful assistant.<|im_end|>\n<|im_start|>user\nHi!<|im_end|>\n", prompt);
    }

    [Fact]
    public void Qwen25_lists_tools_as_json_and_formats_tool_calls_and_responses()
    {
        var tool = JsonDocument.Parse("""{"type": "function", "function": {"name": "get_weather", "parameters": {"type": "object", "properties": {"city": {"type": "string"}}}}}""").RootElement;
        var call = JsonDocument.Parse("""[{"type": "function", "function": {"name": "get_weather", "arguments": {"city": "Zürich"}}}]""").RootElement;
        ChatTemplateMessage[] messages =
        [
            ChatTemplateMessage.User("Weather in Zürich?"),
            new("assistant", "") { Extra = new Dictionary<string, object?> { ["tool_calls"] = call } },
            new("tool", "{\"temp\": 21}"),
            new("tool", "{\"wind\": 3}"),
        ];
        var prompt = ChatTemplate.FromSource(ChatTemplateFixtures.Qwen25).Render(messages, tools: [tool]);
        Assert.Equal(
            "<|im_start|>system\nYou are Qwen, created by Alibaba Cloud. You are a helpful assistant.\n\n# Tools\n\n" +
            "You may call one or more functions to assist with the user query.\n\n" +
            "You are provided with function signatures within <tools></tools> XML tags:\n<tools>\n" +
            """{"type": "function", "function": {"name": "get_weather", "parameters": {"type": "object", "properties": {"city": {"type": "string"}}}}}""" +
            "\n</tools>\n\nFor each function call, return a json object with function name and arguments within <tool_call></tool_call> XML tags:\n" +
            "<tool_call>\n{\"name\": <function-name>, \"arguments\": <args-json-object>}\n</tool_call><|im_end|>\n" +
            "<|im_start|>user\nWeather in Zürich?<|im_end|>\n" +
            "<|im_start|>assistant\n<tool_call>\n{\"name\": \"get_weather\", \"arguments\": {\"city\": \"Zürich\"}}\n</tool_call><|im_end|>\n" +
            "<|im_start|>user\n<tool_response>\n{\"temp\": 21}\n</tool_response>\n<tool_response>\n{\"wind\": 3}\n</tool_response><|im_end|>\n" +
            "<|im_start|>assistant\n", prompt);
    }

    [Fact]
    public void Llama3_puts_bos_first_and_trims_each_content()
    {
        var prompt = ChatTemplate.FromSource(ChatTemplateFixtures.Llama3).WithTokens("<|begin_of_text|>", "<|eot_id|>")
            .Render([ChatTemplateMessage.System("You are terse."), ChatTemplateMessage.User("  Hi!\n")]);
        Assert.Equal(
            "<|begin_of_text|><|start_header_id|>system<|end_header_id|>\n\nYou are terse.<|eot_id|>" +
            "<|start_header_id|>user<|end_header_id|>\n\nHi!<|eot_id|><|start_header_id|>assistant<|end_header_id|>\n\n", prompt);
    }

    [Fact]
    public void Llama2_folds_the_system_prompt_into_the_first_instruction()
    {
        var prompt = ChatTemplate.FromSource(ChatTemplateFixtures.Llama2).WithTokens("<s>", "</s>").Render(WithSystem);
        Assert.Equal("<s>[INST] <<SYS>>\nYou are terse.\n<</SYS>>\n\nHi! [/INST] Hello. </s><s>[INST] What is 2+2? [/INST]", prompt);
    }

    [Fact]
    public void Llama2_rejects_roles_that_do_not_alternate_with_the_templates_own_message()
    {
        var template = ChatTemplate.FromSource(ChatTemplateFixtures.Llama2).WithTokens("<s>", "</s>");
        var error = Assert.Throws<JinjaRaisedException>(() => template.Render([ChatTemplateMessage.User("a"), ChatTemplateMessage.User("b")]));
        Assert.Equal("Conversation roles must alternate user/assistant/user/assistant/...", error.TemplateMessage);
    }

    [Fact]
    public void Mistral_wraps_user_turns_in_inst_and_ends_answers_with_eos()
    {
        var template = ChatTemplate.FromSource(ChatTemplateFixtures.Mistral).WithTokens("<s>", "</s>");
        Assert.Equal("<s>[INST] Hi! [/INST]Hello.</s>[INST] What is 2+2? [/INST]", template.Render(WithoutSystem));
        Assert.Throws<JinjaRaisedException>(() => template.Render(WithSystem));
    }

    [Fact]
    public void Gemma_names_the_assistant_model_and_has_no_system_role()
    {
        var template = ChatTemplate.FromSource(ChatTemplateFixtures.Gemma).WithTokens("<bos>", "<eos>");
        Assert.Equal(
            "<bos><start_of_turn>user\nHi!<end_of_turn>\n<start_of_turn>model\nHello.<end_of_turn>\n" +
            "<start_of_turn>user\nWhat is 2+2?<end_of_turn>\n<start_of_turn>model\n", template.Render(WithoutSystem));
        var error = Assert.Throws<JinjaRaisedException>(() => template.Render(WithSystem));
        Assert.Equal("System role not supported", error.TemplateMessage);
    }

    [Fact]
    public void Phi3_tags_each_role_and_ends_with_eos_without_a_generation_prompt()
    {
        var template = ChatTemplate.FromSource(ChatTemplateFixtures.Phi3).WithTokens("<s>", "<|endoftext|>");
        Assert.Equal(
            "<|system|>\nYou are terse.<|end|>\n<|user|>\nHi!<|end|>\n<|assistant|>\nHello.<|end|>\n<|user|>\nWhat is 2+2?<|end|>\n<|assistant|>\n",
            template.Render(WithSystem));
        Assert.Equal("<|user|>\nHi!<|end|>\n<|endoftext|>", template.Render([ChatTemplateMessage.User("Hi!")], addGenerationPrompt: false));
    }

    [Fact]
    public void SmolLm2_adds_its_default_system_turn_from_a_multiline_literal()
    {
        var prompt = ChatTemplate.FromSource(ChatTemplateFixtures.SmolLm2).Render([ChatTemplateMessage.User("Hi!")]);
        Assert.Equal(
            "<|im_start|>system\nYou are a helpful AI assistant named SmolLM, trained by Hugging Face<|im_end|>\n" +
            "<|im_start|>user\nHi!<|im_end|>\n<|im_start|>assistant\n", prompt);
    }

    [Theory]
    [InlineData("chatml", nameof(ChatTemplateFixtures.SmolLm2), false)]
    [InlineData("llama2", nameof(ChatTemplateFixtures.Llama2), true)]
    [InlineData("llama3", nameof(ChatTemplateFixtures.Llama3), true)]
    [InlineData("mistral", nameof(ChatTemplateFixtures.Mistral), false)]
    [InlineData("gemma", nameof(ChatTemplateFixtures.Gemma), false)]
    [InlineData("phi3", nameof(ChatTemplateFixtures.Phi3), true)]
    public void Built_in_templates_render_what_the_published_ones_do(string builtIn, string published, bool withSystem)
    {
        var source = (string)typeof(ChatTemplateFixtures).GetField(published)!.GetValue(null)!;
        ChatTemplateMessage[] messages = withSystem ? WithSystem : builtIn == "chatml" ? [ChatTemplateMessage.System("You are a helpful AI assistant named SmolLM, trained by Hugging Face"), .. WithoutSystem] : WithoutSystem;
        var expected = ChatTemplate.FromSource(source).WithTokens("<s>", "</s>").Render(messages);
        Assert.Equal(expected, ChatTemplate.BuiltIn(builtIn).WithTokens("<s>", "</s>").Render(messages));
    }

    [Fact]
    public void Built_in_gemma_and_mistral_put_a_system_prompt_before_the_first_user_turn()
    {
        Assert.Equal(
            "<bos><start_of_turn>user\nYou are terse.\n\nHi!<end_of_turn>\n<start_of_turn>model\nHello.<end_of_turn>\n<start_of_turn>user\nWhat is 2+2?<end_of_turn>\n<start_of_turn>model\n",
            ChatTemplate.BuiltIn("gemma").WithTokens("<bos>", "<eos>").Render(WithSystem));
        Assert.Equal("<s>[INST] You are terse.\n\nHi! [/INST]Hello.</s>[INST] What is 2+2? [/INST]",
            ChatTemplate.BuiltIn("mistral").WithTokens("<s>", "</s>").Render(WithSystem));
    }

    [Fact]
    public void Microsoft_extensions_ai_messages_render_by_role_and_text()
    {
        var prompt = ChatTemplate.BuiltIn("chatml").RenderChatMessages(
            [new Microsoft.Extensions.AI.ChatMessage(Microsoft.Extensions.AI.ChatRole.User, "Hi!")], addGenerationPrompt: true);
        Assert.Equal("<|im_start|>user\nHi!<|im_end|>\n<|im_start|>assistant\n", prompt);
    }

    [Fact]
    public void A_llama31_style_tool_template_renders_tools_dates_and_a_tool_round_trip()
    {
        var template = ChatTemplate.FromSource(ChatTemplateFixtures.Llama31Style).WithTokens("<|begin_of_text|>", "<|eot_id|>")
            .WithClock(new FixedClock(new DateTimeOffset(2024, 7, 26, 12, 0, 0, TimeSpan.Zero)));
        var tool = new Dictionary<string, object?> { ["name"] = "get_weather", ["parameters"] = new Dictionary<string, object?> { ["city"] = "string" } };
        var call = new List<object?> { new Dictionary<string, object?> { ["function"] = new Dictionary<string, object?> { ["name"] = "get_weather", ["arguments"] = new Dictionary<string, object?> { ["city"] = "Paris" } } } };
        ChatTemplateMessage[] messages =
        [
            ChatTemplateMessage.System(" Be brief. "),
            ChatTemplateMessage.User("Weather in Paris?"),
            new("assistant", "") { Extra = new Dictionary<string, object?> { ["tool_calls"] = call } },
            new("tool", "21C"),
        ];
        Assert.Equal(
            "<|begin_of_text|><|start_header_id|>system<|end_header_id|>\n\nEnvironment: ipython\nCutting Knowledge Date: December 2023\nToday Date: 26 Jul 2024\n\n" +
            "You have access to the following functions.\n\n{\n    \"name\": \"get_weather\",\n    \"parameters\": {\n        \"city\": \"string\"\n    }\n}\n\n" +
            "Be brief.<|eot_id|><|start_header_id|>user<|end_header_id|>\n\nWeather in Paris?<|eot_id|>" +
            "<|start_header_id|>assistant<|end_header_id|>\n\n{\"name\": \"get_weather\", \"parameters\": {\"city\": \"Paris\"}}<|eot_id|>" +
            "<|start_header_id|>ipython<|end_header_id|>\n\n21C<|eot_id|><|start_header_id|>assistant<|end_header_id|>\n\n",
            template.Render(messages, tools: [tool]));

        Assert.Equal(
            "<|begin_of_text|><|start_header_id|>system<|end_header_id|>\n\nCutting Knowledge Date: December 2023\nToday Date: 01 Jan 2030\n\n<|eot_id|>" +
            "<|start_header_id|>user<|end_header_id|>\n\nHi<|eot_id|><|start_header_id|>assistant<|end_header_id|>\n\n",
            template.Render([ChatTemplateMessage.User("Hi")], extraVariables: new Dictionary<string, object?> { ["date_string"] = "01 Jan 2030" }));

        var twoCalls = new List<object?> { call[0], call[0] };
        var error = Assert.Throws<JinjaRaisedException>(() =>
            template.Render([ChatTemplateMessage.User("x"), new("assistant", "") { Extra = new Dictionary<string, object?> { ["tool_calls"] = twoCalls } }]));
        Assert.Contains("single tool-calls", error.TemplateMessage);
    }

    private sealed class FixedClock(DateTimeOffset now) : TimeProvider
    {
        public override DateTimeOffset GetUtcNow() => now;
        public override TimeZoneInfo LocalTimeZone => TimeZoneInfo.Utc;
    }
}
